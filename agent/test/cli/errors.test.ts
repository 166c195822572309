import { describe, expect, it } from 'vitest';
import { EnvironmentError, InputError, describeCause } from '../../src/errors.js';

describe('describeCause', () => {
  it("gives our own errors' first line as it is: they are written for people, their class name would be noise", () => {
    expect(describeCause(new EnvironmentError('iptables -S FORWARD: exit 4: Permission denied'))).toBe('iptables -S FORWARD: exit 4: Permission denied');
    expect(describeCause(new InputError(['spec.cluster.name: is required', 'spec.cluster.cidr: not a CIDR']))).toBe('spec.cluster.name: is required');
  });

  it('names other errors by their class or code, once, and keeps only the first line', () => {
    expect(describeCause(new TypeError('x is not a function\n    at f'))).toBe('TypeError: x is not a function');
    expect(describeCause(Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED: connect refused');
    expect(describeCause(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }))).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(describeCause('a string')).toBe('a string');
  });
});
