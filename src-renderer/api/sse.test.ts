import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

function parse(...chunks: string[]): string[] {
  const out: string[] = [];
  const parser = new SseParser((data) => out.push(data));
  for (const chunk of chunks) parser.push(chunk);
  return out;
}

describe('SseParser', () => {
  it('emits each event data, skipping comments and other fields', () => {
    expect(parse(': connected\n\ndata: {"a":1}\n\n: keepalive\n\nevent: x\nid: 3\ndata: two\n\n')).toEqual(['{"a":1}', 'two']);
  });

  it('reassembles events split across chunks at any point', () => {
    const text = 'data: {"type":"chosen"}\n\ndata: second\n\n';
    for (let i = 0; i <= text.length; i++) expect(parse(text.slice(0, i), text.slice(i)), `split at ${i}`).toEqual(['{"type":"chosen"}', 'second']);
  });

  it('accepts \\r\\n and \\r line endings, joins multi-line data, strips one leading space', () => {
    expect(parse('data: a\r\ndata:b\r\n\r\n', 'data:  c\r', '\r', 'data: d\n\n')).toEqual(['a\nb', ' c', 'd']);
  });

  it('emits nothing for an unfinished event and after reset', () => {
    const out: string[] = [];
    const parser = new SseParser((data) => out.push(data));
    parser.push('data: partial\n');
    parser.reset();
    parser.push('\n');
    expect(out).toEqual([]);
  });
});
