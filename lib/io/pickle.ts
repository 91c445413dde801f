// A restricted unpickler: reads the pickle streams that torch.save writes for state dicts and
// Lightning checkpoints, and nothing more. It never executes or imports code: a GLOBAL opcode
// resolves only names on an allow-list given by the caller (each mapped to a plain TypeScript
// function), and any other name, and every opcode that could build an arbitrary object (INST,
// OBJ, extension codes, out-of-band buffers), is refused with an UnpicklingError naming it.
//
// Written here rather than taken from npm: the one maintained JS pickle parser (pickleparser)
// resolves unknown names to placeholder classes by default, applies REDUCE/BUILD to whatever is
// on the stack (Object.assign onto resolved functions, calling a `__setstate__` property), keys
// dicts on plain objects (where '__proto__' is a live key) and throws untyped errors; restricting
// all of that means wrapping each opcode anyway. The subset below is the protocol 0-5 opcodes
// torch.save emits, with dicts as Maps and every length checked against the bytes left.

/** Thrown for a stream that is malformed, truncated or holds anything but allowed data. */
export class UnpicklingError extends Error {
  /** Stable code for programmatic checks. */
  readonly code = 'ERR_LONGCONV_UNPICKLING';
  constructor(message: string) {
    super(message);
    this.name = 'UnpicklingError';
  }
}

/** A Python tuple: a frozen array. */
export type PickleTuple = readonly PickleValue[];

/** What the unpickler produces. Dicts are Maps (insertion-ordered, like OrderedDict). */
export type PickleValue =
  | null | boolean | number | bigint | string | Uint8Array
  | PickleValue[] | PickleTuple | Map<PickleKey, PickleValue> | Set<PickleKey> | AllowedGlobal | object;

/** A dict key: anything hashable the subset produces. */
export type PickleKey = PickleValue;

/** What an allowed global does when a pickle calls it (REDUCE) or instantiates it (NEWOBJ). */
export interface GlobalHandler {
  /** REDUCE: called with the argument tuple; returns the value to push. */
  call?: (args: PickleTuple) => PickleValue;
  /** NEWOBJ: cls.__new__(cls, *args). */
  create?: (args: PickleTuple) => PickleValue;
  /** BUILD on an object this global made: applies the state (e.g. checks it is empty). */
  build?: (target: PickleValue, state: PickleValue) => void;
}

/** A resolved allowed global on the stack. Only this class is ever callable by REDUCE/NEWOBJ. */
export class AllowedGlobal {
  constructor(readonly name: string, readonly handler: GlobalHandler) {
    Object.freeze(this);
  }
}

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** The only globals the stream may name, by 'module.qualname'. */
  globals: ReadonlyMap<string, GlobalHandler>;
  /** Resolves a persistent id (BINPERSID / PERSID); absent means persistent ids are refused. */
  persistentLoad?: (pid: PickleValue) => PickleValue;
  /** Where the stream comes from, for messages. */
  source: string;
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** Objects made by allowed globals remember their maker, so BUILD goes to the same handler. */
const makers = new WeakMap<object, GlobalHandler>();

const tuple = (items: PickleValue[]): PickleTuple => Object.freeze(items);

/** Unpickles `bytes` under the allow-list of `options`. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  const { globals, persistentLoad, source } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let opAt = 0;
  const fail = (why: string): never => {
    throw new UnpicklingError(`${source}: ${why} (at byte ${opAt} of the pickle)`);
  };
  const need = (n: number): number => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > bytes.length) fail(`a length of ${n} bytes runs past the end of the stream (truncated?)`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => view.getUint8(need(1));
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`a length of ${v} bytes runs past the end of the stream`);
    return Number(v);
  };
  const raw = (n: number) => bytes.subarray(need(n), pos);
  const utf8 = (n: number) => {
    const data = raw(n);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('a text argument has no end of line (truncated?)');
    const text = new TextDecoder('latin1').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  // Little-endian two's complement integer of n bytes (LONG1/LONG4).
  const signedLE = (data: Uint8Array): number | bigint => {
    if (data.length === 0) return 0;
    let v = 0n;
    for (let i = data.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[i]);
    if (data[data.length - 1] & 0x80) v -= 1n << BigInt(8 * data.length);
    return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v;
  };
  const textInt = (text: string): number | bigint | boolean => {
    if (text === '01') return true; // protocol 0 booleans
    if (text === '00') return false;
    const t = text.endsWith('L') ? text.slice(0, -1) : text;
    if (!/^[-+]?\d+$/.test(t)) fail(`'${text}' is not an integer`);
    const v = BigInt(t);
    return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  };

  let stack: StackItem[] = [];
  const metastack: StackItem[][] = [];
  const memo = new Map<number, PickleValue>();
  const pop = (): PickleValue => {
    if (stack.length === 0) fail('the stack is empty');
    const v = stack.pop()!;
    if (v === MARK) fail('a mark where a value was expected');
    return v as PickleValue;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (stack.length === 0 || v === MARK) fail('the stack is empty');
    return v as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    const items = stack;
    if (metastack.length === 0) fail('no mark to pop to');
    stack = metastack.pop()!;
    return items as PickleValue[];
  };
  const resolve = (module: string, name: string): AllowedGlobal => {
    const qualified = `${module}.${name}`;
    const handler = globals.get(qualified);
    if (!handler) fail(`the global '${qualified}' is not allowed (a state dict holds only tensors, numbers, strings and containers; nothing is imported or run)`);
    return new AllowedGlobal(qualified, handler!);
  };
  const asMap = (target: PickleValue, op: string): Map<PickleKey, PickleValue> => {
    if (!(target instanceof Map)) fail(`${op} on ${kind(target)}, not a dict`);
    return target as Map<PickleKey, PickleValue>;
  };
  const asList = (target: PickleValue, op: string): PickleValue[] => {
    if (!Array.isArray(target) || Object.isFrozen(target)) fail(`${op} on ${kind(target)}, not a list`);
    return target as PickleValue[];
  };
  const setItems = (target: PickleValue, items: PickleValue[], op: string) => {
    const dict = asMap(target, op);
    if (items.length % 2) fail(`${op} with an odd number of items`);
    for (let i = 0; i < items.length; i += 2) dict.set(hashable(items[i], fail), items[i + 1]);
  };
  const call = (callable: PickleValue, args: PickleValue, op: string, how: 'call' | 'create'): PickleValue => {
    if (!(callable instanceof AllowedGlobal)) fail(`${op} of ${kind(callable)}, not an allowed global`);
    if (!Array.isArray(args) || !Object.isFrozen(args)) fail(`${op} of '${(callable as AllowedGlobal).name}' with ${kind(args)} as its arguments, not a tuple`);
    const g = callable as AllowedGlobal;
    const fn = g.handler[how];
    if (!fn) fail(`'${g.name}' cannot be ${how === 'call' ? 'called' : 'instantiated'} (${op})`);
    let out: PickleValue;
    try {
      out = fn!(args as PickleTuple);
    } catch (e) {
      if (e instanceof UnpicklingError) throw e;
      return fail(`'${g.name}': ${(e as Error).message}`);
    }
    if (out !== null && typeof out === 'object') makers.set(out, g.handler);
    return out;
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) fail(`memo entry ${i} was never stored`);
    return memo.get(i)!;
  };

  for (;;) {
    opAt = pos;
    if (pos >= bytes.length) fail('the stream ends without a STOP opcode (truncated?)');
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) fail(`pickle protocol ${v} is newer than 5`);
        break;
      }
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        const v = pop();
        if (stack.length || metastack.length) fail('values are left on the stack at STOP');
        return v;
      }
      case 0x28: metastack.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x49: stack.push(textInt(line())); break; // INT
      case 0x4c: stack.push(textInt(line())); break; // LONG
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(signedLE(raw(u8()))); break; // LONG1
      case 0x8b: stack.push(signedLE(raw(u32()))); break; // LONG4
      case 0x46: { // FLOAT
        const text = line();
        const v = Number(text);
        if (Number.isNaN(v) && !/^[-+]?nan$/i.test(text)) fail(`'${text}' is not a float`);
        stack.push(v);
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: stack.push(utf8(u32())); break; // BINUNICODE
      case 0x8c: stack.push(utf8(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8(u64())); break; // BINUNICODE8
      case 0x56: stack.push(line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16)))); break; // UNICODE
      case 0x54: stack.push(new TextDecoder('latin1').decode(raw(u32()))); break; // BINSTRING (Python 2 str)
      case 0x55: stack.push(new TextDecoder('latin1').decode(raw(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(raw(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(raw(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(raw(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(raw(u64()).slice()); break; // BYTEARRAY8
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { const items = popMark(); stack.push(items); break; } // LIST (popMark replaces `stack`)
      case 0x61: { // APPEND
        const v = pop();
        asList(top(), 'APPEND').push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        asList(top(), 'APPENDS').push(...items);
        break;
      }
      case 0x29: stack.push(tuple([])); break; // EMPTY_TUPLE
      case 0x74: { const items = popMark(); stack.push(tuple(items)); break; } // TUPLE
      case 0x85: stack.push(tuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push(tuple([a, b, c])); break; } // TUPLE3
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        const dict = new Map<PickleKey, PickleValue>();
        setItems(dict, items, 'DICT');
        stack.push(dict);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v], 'SETITEM');
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items, 'SETITEMS');
        break;
      }
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof Set)) fail(`ADDITEMS on ${kind(set)}, not a set`);
        for (const item of items) (set as Set<PickleKey>).add(hashable(item, fail));
        break;
      }
      case 0x91: { const items = popMark(); stack.push(new Set(items.map((v) => hashable(v, fail)))); break; } // FROZENSET
      case 0x67: stack.push(memoGet(Number(textInt(line())))); break; // GET
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x70: memo.set(Number(textInt(line())), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x63: { // GLOBAL
        const module = line();
        stack.push(resolve(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL of non-strings');
        stack.push(resolve(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), callable = pop();
        stack.push(call(callable, args, 'REDUCE', 'call'));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop(), cls = pop();
        stack.push(call(cls, args, 'NEWOBJ', 'create'));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop(), args = pop(), cls = pop();
        if (!(kwargs instanceof Map) || kwargs.size) fail('NEWOBJ_EX with keyword arguments');
        stack.push(call(cls, args, 'NEWOBJ_EX', 'create'));
        break;
      }
      case 0x62: { // BUILD
        const state = pop(), target = top();
        const handler = target !== null && typeof target === 'object' ? makers.get(target) : undefined;
        if (!handler?.build) fail(`BUILD (setting the state of an object) on ${kind(target)}`);
        try {
          handler!.build!(target, state);
        } catch (e) {
          if (e instanceof UnpicklingError) throw e;
          fail(`BUILD: ${(e as Error).message}`);
        }
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!persistentLoad) fail('a persistent id, which this stream may not hold');
        stack.push(persistentLoad!(pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!persistentLoad) fail('a persistent id, which this stream may not hold');
        stack.push(persistentLoad!(pid));
        break;
      }
      case 0x69: fail('the INST opcode (instantiates an arbitrary class) is not allowed'); break;
      case 0x6f: fail('the OBJ opcode (instantiates an arbitrary class) is not allowed'); break;
      case 0x82: case 0x83: case 0x84: fail('extension-registry opcodes (EXT1/2/4) are not allowed'); break;
      case 0x97: case 0x98: fail('out-of-band buffers (NEXT_BUFFER/READONLY_BUFFER) are not allowed'); break;
      default: fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** A readable description of a value's kind, for messages. */
export function kind(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Map) return 'a dict';
  if (v instanceof Set) return 'a set';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof AllowedGlobal) return `the global '${v.name}'`;
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'a tuple' : 'a list';
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return `${typeof v === 'bigint' ? 'an int' : `a ${typeof v}`} ${String(v)}`;
}

/** Dict keys and set items: strings, numbers, booleans, None, or tuples of those (compared by value). */
function hashable(v: PickleValue, fail: (why: string) => never): PickleKey {
  if (v === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof v)) return v;
  if (Array.isArray(v) && Object.isFrozen(v)) return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}` : x));
  return fail(`${kind(v)} as a dict key or set item`);
}
