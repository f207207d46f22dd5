/** An element's text as it reads on screen: each run of white space as one space, trimmed; '' for none. */
export function text(element: Element | null | undefined): string {
  return element?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}
