// ESLint for the dashboard's browser code (plain ES modules, no build step) and the bench's Node
// scripts; formatting is Prettier's (.prettierrc.json), so no style rules here.
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    ignores: [
      "node_modules/**",
      ".venv/**",
      ".run/**",
      "build/**",
      "simulator/**",
      "worker/browser/js/**", // page scripts run through WebDriver (a function body each)
    ],
  },
  js.configs.recommended,
  {
    files: ["gateway/web/static/js/**/*.js"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.browser } },
    rules: {
      "no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      eqeqeq: ["error", "smart"],
      "no-implicit-globals": "error",
      "prefer-const": "error",
      "no-var": "error",
    },
  },
  {
    files: ["gateway/web/static/sw.js"],
    languageOptions: { ecmaVersion: 2023, sourceType: "script", globals: { ...globals.serviceworker } },
  },
  {
    // the two browser extensions (passkey signer, worker's passkey relay): classic scripts
    files: ["gateway/web/signer-extension/**/*.js", "worker/browser/extension/**/*.js"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "script",
      globals: { ...globals.browser, ...globals.serviceworker, ...globals.webextensions },
    },
    rules: { eqeqeq: ["error", "smart"], "prefer-const": "error" },
  },
  {
    files: ["gateway/web/signer-extension/sign.js"], // after webauthn-json.js, in the same world
    languageOptions: { globals: { wagwWebAuthn: "readonly" } },
  },
  {
    files: ["bench/**/*.mjs", "eslint.config.mjs"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.node } },
  },
];
