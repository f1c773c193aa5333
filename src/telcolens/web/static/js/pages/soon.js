// A capability without a console page yet: say so plainly, show no made-up data.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { pageHead } from "./shared.js";

export async function render(main, ctx) {
  main.append(
    pageHead(t("soon.title", { name: t(ctx.page.label) })),
    h("div", { class: "alert" }, t("soon.body")),
  );
}
