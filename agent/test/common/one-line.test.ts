import { describe, expect, it } from 'vitest';
import { oneLine } from '../../src/common/one-line.js';

describe('oneLine', () => {
  it('writes line breaks, terminal escapes, DEL, C1 controls and the Unicode line separators as escapes', () => {
    expect(oneLine('a\nb\r\nc')).toBe('a\\nb\\r\\nc');
    expect(oneLine('red \u001b[31m here\u0000')).toBe('red \\u001b[31m here\\u0000');
    expect(oneLine('\u007f\u0085\u009b\u2028\u2029')).toBe('\\u007f\\u0085\\u009b\\u2028\\u2029');
  });

  it('leaves tabs, printable text and other scripts alone', () => {
    const text = 'spec.kubelet.config\t"é" 中文 — ok: 100%';
    expect(oneLine(text)).toBe(text);
  });
});
