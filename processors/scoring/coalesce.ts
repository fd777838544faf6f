/**
 * Calls made one at a time, served `lingerMs` later by one run for everything asked in the meantime: each
 * caller gets the result for its key. (Open-source BullMQ has no batch processing, so the coalescing of
 * concurrently active jobs into one scoring pass is ours.)
 */
export function coalesce<T, R>(
  run: (items: T[]) => Promise<Map<string, R>>,
  keyOf: (item: T) => string,
  opts: { maxBatch: number; lingerMs: number },
): (item: T) => Promise<R> {
  let pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = []
  let timer: NodeJS.Timeout | undefined
  const flush = () => {
    clearTimeout(timer)
    timer = undefined
    const batch = pending
    pending = []
    run(batch.map((b) => b.item)).then(
      (results) => batch.forEach((b) => b.resolve(results.get(keyOf(b.item))!)),
      (err) => batch.forEach((b) => b.reject(err)),
    )
  }
  return (item) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ item, resolve, reject })
      if (pending.length >= opts.maxBatch) flush()
      else timer ??= setTimeout(flush, opts.lingerMs)
    })
}
