import path from 'node:path'
import type { CheckReport, SchemaCheck } from './check.js'

export const REPORT_FORMATS = ['text', 'markdown', 'github', 'json'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

/** Pure: renders a check report for a terminal, a pull-request comment, GitHub Actions annotations or tools. */
export function formatReport(report: CheckReport, format: ReportFormat, cwd = process.cwd()): string {
  const rel = (f: string) => path.relative(cwd, f) || f
  const shown = report.checks.filter((c) => c.status !== 'unchanged')
  switch (format) {
    case 'json':
      return JSON.stringify({ ...report, checks: report.checks.map((c) => ({ ...c, file: rel(c.file) })) }, null, 2)
    case 'github':
      return shown
        .flatMap((c) =>
          c.findings.map((f) => {
            const title = f.severity === 'error' ? `Incompatible change to ${c.subject} (${c.level})` : `Schema lint: ${c.subject}`
            return `::${f.severity} file=${rel(c.file)},line=${f.line},title=${escapeProperty(title)}::${escapeData(f.message)}`
          }),
        )
        .concat([summary(report)])
        .join('\n')
    case 'markdown': {
      const lines = [`### Pulse schema check against ${report.baseline}`, '', summary(report), '']
      if (shown.length) {
        lines.push('| Event | Change | Compatibility | Verdict |', '| --- | --- | --- | --- |')
        for (const c of shown) lines.push(`| \`${c.subject}\` | ${c.status} | ${c.level ?? ''}${against(c)} | ${verdict(c)} |`)
        for (const c of shown.filter((x) => x.findings.length)) {
          lines.push('', `<details${errors(c) ? ' open' : ''}><summary><code>${c.subject}</code> — ${rel(c.file)}</summary>`, '')
          for (const f of c.findings) lines.push(`- ${f.severity === 'error' ? '❌' : '⚠️'} ${escapeMarkdown(f.message)} (line ${f.line})`)
          lines.push('', '</details>')
        }
      }
      return lines.join('\n')
    }
    case 'text': {
      const lines: string[] = []
      for (const c of shown) {
        lines.push(`${c.subject} (${rel(c.file)}): ${c.status}${c.level ? `, ${c.level}${against(c)}` : ''} — ${verdict(c)}`)
        for (const f of c.findings) lines.push(`  ${f.severity === 'error' ? '✗' : '!'} ${f.message}  [line ${f.line}]`)
      }
      lines.push(summary(report))
      return lines.join('\n')
    }
  }
}

function errors(c: SchemaCheck): number {
  return c.findings.filter((f) => f.severity === 'error').length
}

function verdict(c: SchemaCheck): string {
  if (c.status === 'invalid') return 'INVALID'
  if (errors(c)) return 'INCOMPATIBLE'
  if (c.status === 'removed') return 'removed'
  return c.findings.length ? 'compatible, with lint warnings' : 'compatible'
}

function against(c: SchemaCheck): string {
  return c.against.length ? ` against version${c.against.length > 1 ? 's' : ''} ${c.against.join(', ')}` : ''
}

function summary(r: CheckReport): string {
  const count = (s: SchemaCheck['status']) => r.checks.filter((c) => c.status === s).length
  return `${r.incompatible ? `${r.incompatible} incompatibilit${r.incompatible > 1 ? 'ies' : 'y'}` : 'no incompatibilities'}; ${count('changed')} changed, ${count('added')} added, ${count('removed')} removed, ${count('unchanged')} unchanged; ${r.warnings} lint warning${r.warnings === 1 ? '' : 's'}`
}

// GitHub workflow-command escaping: https://github.com/actions/toolkit (core/src/command.ts)
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}
function escapeMarkdown(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/</g, '&lt;')
}
