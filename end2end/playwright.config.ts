import { defineConfig } from "@playwright/test";

// Runs in Debian's Chromium (never a downloaded browser). cargo-leptos starts the server
// before this suite and stops it after. MERIDIAN_E2E_GREP narrows the run and
// MERIDIAN_E2E_GREP_INVERT leaves tests out: the release smoke runs "@smoke|@split" against the
// split bundle; the debug run, whose bundle is not split, leaves "@split" out.
export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  // The whole suite takes about 4 minutes here; a stuck run stops with a report well inside
  // CI's limit.
  globalTimeout: 20 * 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  // The JSON report lets scripts/test check that tests ran and passed, whatever the exit
  // code of the tool that started them.
  reporter: [["list"], ["json", { outputFile: "playwright-report/results.json" }]],
  grep: process.env.MERIDIAN_E2E_GREP ? new RegExp(process.env.MERIDIAN_E2E_GREP) : undefined,
  grepInvert: process.env.MERIDIAN_E2E_GREP_INVERT ? new RegExp(process.env.MERIDIAN_E2E_GREP_INVERT) : undefined,
  use: {
    baseURL: process.env.MERIDIAN_BASE_URL ?? "http://127.0.0.1:3000",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        browserName: "chromium",
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
          ],
        },
      },
    },
  ],
});
