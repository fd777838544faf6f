/** A list's pages on the API's cursors: back through the browser's history (each page is a URL), on by its link. */
export function Pager({ label, paged, next }: { label: string; paged: boolean; next: string | null }) {
  return (
    <nav class="pager" aria-label={label}>
      {paged && (
        <button type="button" onClick={() => history.back()}>
          Previous page
        </button>
      )}
      {next && <a href={next}>Next page</a>}
    </nav>
  )
}
