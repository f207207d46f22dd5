/**
 * Writes `text` to the clipboard. False where there is none or it refuses (an insecure context, a
 * denied permission): the caller then shows the text for the user to copy by hand.
 */
export async function writeToClipboard(text: string): Promise<boolean> {
  if (typeof navigator.clipboard?.writeText !== 'function') return false;
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
