/**
 * Debian's Chromium (installed by bin/bootstrap), driven by playwright-core: no browser is downloaded. The
 * flags keep it from reaching for Google's hosts, which this network refuses.
 */
import fs from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run "bash bin/bootstrap" (it installs Debian's chromium), or set PULSE_CHROMIUM`)
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}
