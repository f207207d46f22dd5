/**
 * Opens a database image with room to grow.
 *
 * sql.js keeps a database in one Emscripten MEMFS array, which grows by 12.5% at a time above 1 MiB and
 * copies the whole database each time: on this machine 90 ms at 25 MB and 270 ms at 60 MB, every 12.5%
 * of growth (`npx tsx bench/storage/growth-bench.ts`). Those are event-loop stalls in the middle of a
 * turn that applies or flushes a batch, and they delay heartbeats (a profile of a member catching up
 * after a 30 s sleep showed little else). Opening an image padded with zeros gives the array that room
 * at once: SQLite takes the database's size from the page count in its header when the header says it
 * is valid (the change counter equals version-valid-for, true of every image SQLite >= 3.7 writes) and
 * ignores the bytes past it, and db.export() copies only the pages (sql.js >= 1.16 exports through the
 * backup API), so images written from the padded database are exactly as before.
 *
 * Used where a replica opens its checkpoint (start, recovery), not where it installs a snapshot: the
 * padding costs a copy of the room (an open at 25 MB takes 340 ms instead of 80), which a member
 * catching up would wait for.
 *
 * An image whose header does not vouch for its size exactly (damaged, hostile, or not a database) is
 * opened as it is: SQLite would otherwise size it from the padded length.
 */
import type { Database, SqlJsStatic } from 'sql.js';

/** Padding beyond this would cost more memory than the copies it saves (the array doubles once). */
const MAX_ROOM_BYTES = 256 * 1024 * 1024;

/** Whether the header of `image` gives its exact length: page size * in-header page count, marked valid. */
export function headerVouchesForSize(image: Uint8Array): boolean {
  if (image.length < 100) return false;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  const pageCount = view.getUint32(28);
  const valid = view.getUint32(24) === view.getUint32(92);
  return valid && pageCount > 0 && pageSize >= 512 && pageSize * pageCount === image.length;
}

/** `new sqlJs.Database(image)`, with `roomBytes` (default: as much again as the image) to grow into without copies. */
export function openWithRoom(sqlJs: SqlJsStatic, image: Uint8Array, roomBytes = image.length): Database {
  const room = Math.min(roomBytes, MAX_ROOM_BYTES);
  if (room <= 0 || !headerVouchesForSize(image)) return new sqlJs.Database(image);
  const padded = new Uint8Array(image.length + room);
  padded.set(image);
  return new sqlJs.Database(padded);
}
