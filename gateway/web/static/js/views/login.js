// Login screen: email + password -> token and user kept in localStorage.
import { api, auth } from "../api.js";
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { signedIn } from "../app.js";

export default function login(root) {
  const email = h("input", {
    id: "login-email",
    "data-testid": "login-email",
    type: "email",
    required: true,
    autocomplete: "username",
    inputmode: "email",
  });
  const password = h("input", {
    id: "login-password",
    "data-testid": "login-password",
    type: "password",
    required: true,
    autocomplete: "current-password",
  });
  const error = h("p", { id: "login-error", "data-testid": "login-error", class: "error", role: "alert" });
  const submit = h("button", { id: "login-submit", "data-testid": "login-submit", type: "submit" }, t("login.submit"));
  const form = h(
    "form",
    { id: "login-form", class: "card narrow", "aria-labelledby": "login-title" },
    h("img", { src: "/static/icons/icon.svg", alt: "", width: 56, height: 56, class: "login-logo" }),
    h("h1", { id: "login-title" }, t("login.title")),
    h("label", {}, t("login.email"), email),
    h("label", {}, t("login.password"), password),
    submit,
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    try {
      const data = await api("POST", "/auth/login", { email: email.value.trim(), password: password.value });
      auth.save(data.token, data.user);
      signedIn();
    } catch (err) {
      error.textContent = err.status === 401 ? t("login.bad") : err.message;
    } finally {
      submit.disabled = false;
    }
  });
  mount(root, form);
  email.focus();
}
