/**
 * Freezes a plain data value and everything it holds (objects, arrays), in place, and returns it. Buffers and
 * other typed arrays are left as they are: their elements cannot be frozen (Object.freeze throws on them).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
