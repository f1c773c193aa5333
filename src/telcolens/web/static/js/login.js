// The login page: post the name and password, then go to the console (or where we came from).

import { ApiError, api } from "./api.js";
import { applyLabels, lang, setLang, t } from "./i18n.js";

const form = document.getElementById("login");
const error = document.getElementById("error");
const nameInput = document.getElementById("name");
const passwordInput = document.getElementById("password");

function next() {
  const hash = new URLSearchParams(location.search).get("next") || "";
  // Only a page of this console, never another site.
  return hash.startsWith("#/") ? `/${hash}` : "/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api("/api/auth/login", {
      method: "POST",
      body: { name: nameInput.value.trim(), password: passwordInput.value },
    });
    location.assign(next());
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401 ? t("login.failed") : err.message;
    error.hidden = false;
    button.disabled = false;
  }
});

document.getElementById("lang").addEventListener("click", () => {
  setLang(lang() === "zh" ? "en" : "zh");
  applyLabels();
});

applyLabels();
form.querySelector("button[type=submit]").disabled = false;
nameInput.focus();
