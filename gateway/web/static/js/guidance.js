// What a person must do when WhatsApp needs them: a passkey the relay cannot answer, or a dialog the worker
// does not know (its text is the state detail). Used by the connect dialog and the session page.
import { h } from "./dom.js";
import { t } from "./i18n.js";

const GUIDED = {
  passkey_required: "guide.passkey",
  passkey_relay_failed: "guide.passkey",
  unknown_dialog: "guide.dialog",
};

/** A guidance block for a blocked session whose reason needs a person, else null. */
export function guidance(state, reason, detail) {
  const key = state === "blocked" && GUIDED[reason];
  if (!key) return null;
  return h(
    "div",
    { class: "guidance", "data-testid": "guidance", "data-reason": reason },
    h("strong", { "data-testid": "guidance-title" }, t(`${key}.title`)),
    reason === "unknown_dialog" && detail && h("blockquote", { "data-testid": "guidance-detail" }, detail),
    h("p", { "data-testid": "guidance-text" }, t(`${key}.text`)),
  );
}
