// The example capability's one page: it asks its own endpoint and shows the answer.

import { api } from "/static/js/api.js";
import { h } from "/static/js/dom.js";
import { pageHead } from "/static/js/ui.js";

export async function render(main) {
  const { greeting } = await api("/api/example/hello");
  main.append(pageHead("Example"), h("p", { id: "greeting" }, greeting));
}
