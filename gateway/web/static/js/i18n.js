// Translation lookup: t(key, params) over the dictionaries in /static/js/i18n/<lang>.js.
import en from "./i18n/en.js";
import ru from "./i18n/ru.js";

const DICTS = { en, ru };
const KEY = "wagw.lang";
let lang = localStorage.getItem(KEY) || (navigator.language || "en").slice(0, 2);
if (!DICTS[lang]) lang = "en";

export function getLang() {
  return lang;
}

export function setLang(next) {
  lang = DICTS[next] ? next : "en";
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
}

/** t("chats.unread", {n: 3}) -> the string with {n} filled in; unknown keys show the key. */
export function t(key, params = {}) {
  const text = DICTS[lang][key] ?? DICTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}
