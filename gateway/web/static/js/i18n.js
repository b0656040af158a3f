// Translation lookup: t(key, params) over the dictionaries in /static/js/i18n/<lang>.js.
// The language is the one chosen in the menu (remembered), else the browser's: ru for ru-*, else en.
import en from "./i18n/en.js";
import ru from "./i18n/ru.js";

const DICTS = { en, ru };
const KEY = "wagw.lang";
const LOCALES = { en: "en-GB", ru: "ru-RU" };

/** The browser's preferred language among ours: the first of navigator.languages we have. */
export function browserLang(languages = navigator.languages || [navigator.language || "en"]) {
  for (const tag of languages) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (DICTS[base]) return base;
  }
  return "en";
}

let lang = DICTS[localStorage.getItem(KEY)] ? localStorage.getItem(KEY) : browserLang();

export function getLang() {
  return lang;
}

/** The BCP 47 locale for dates and numbers in the current language. */
export function locale() {
  return LOCALES[lang];
}

/** Switch language; `remember` keeps the choice over the browser's from now on. */
export function setLang(next, { remember = false } = {}) {
  lang = DICTS[next] ? next : "en";
  if (remember) localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
}

/** t("chats.unread", {n: 3}) -> the string with {n} filled in; unknown keys show the key. */
export function t(key, params = {}) {
  const text = DICTS[lang][key] ?? DICTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}
