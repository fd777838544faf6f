/** How numbers read in the console. */
export const money = (cents: number | null | undefined, currency = 'USD'): string =>
  cents == null ? '—' : new Intl.NumberFormat('en', { style: 'currency', currency, maximumFractionDigits: 0 }).format(cents / 100)
export const percent = (share: number | null | undefined, digits = 0): string => (share == null ? '—' : `${(share * 100).toFixed(digits)} %`)
export const signed = (n: number | null | undefined, digits = 0): string => (n == null ? '—' : `${n > 0 ? '+' : ''}${n.toFixed(digits)}`)
export const day = (iso: string | null | undefined): string => (iso ? iso.slice(0, 10) : '—')
