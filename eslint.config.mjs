// ESLint for the dashboard's browser code (plain ES modules, no build step) and the bench's Node
// scripts; formatting is Prettier's (.prettierrc.json), so no style rules here.
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    ignores: ["node_modules/**", ".venv/**", ".run/**", "build/**", "simulator/**", "worker/**"],
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
    files: ["bench/**/*.mjs", "eslint.config.mjs"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.node } },
  },
];
