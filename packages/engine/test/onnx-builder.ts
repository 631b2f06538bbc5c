/**
 * Writes small ONNX models in the test itself: a minimal protobuf encoder for
 * the few ModelProto fields a graph of standard operators needs.
 */

type Dim = number | string;
/** A graph input or output: name, element type, shape (numbers or symbolic names). */
export interface ValueInfo {
  name: string;
  type: "float32" | "float16" | "int64" | "int32" | "bool";
  shape: Dim[];
}
/** An operator node; attributes are integers or integer lists. */
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, number | number[]>;
}
/** A constant tensor. */
export interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

const ELEM = { float32: 1, int32: 6, int64: 7, bool: 9, float16: 10 } as const;

class Writer {
  readonly bytes: number[] = [];
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v) byte |= 0x80;
      this.bytes.push(byte);
    } while (v);
    return this;
  }
  int(field: number, value: number | bigint): this {
    return this.varint(field << 3).varint(value);
  }
  bytesField(field: number, data: Uint8Array | number[]): this {
    this.varint((field << 3) | 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }
  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytesField(field, inner.bytes);
  }
}

function valueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, ELEM[v.type]).message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === "number" ? dim.int(1, d) : dim.string(2, d)));
      }),
    ),
  );
}

/** The bytes of an ONNX model (IR 8, default opset 13) computing `outputs` from `inputs`. */
export function onnxModel(spec: { inputs: ValueInfo[]; outputs: ValueInfo[]; nodes: NodeSpec[]; initializers: Initializer[] }): Uint8Array {
  const w = new Writer();
  w.int(1, 8).string(2, "tscog-test");
  w.message(7, (g) => {
    spec.nodes.forEach((n, i) =>
      g.message(1, (node) => {
        for (const x of n.inputs) node.string(1, x);
        for (const x of n.outputs) node.string(2, x);
        node.string(3, `n${i}`).string(4, n.op);
        for (const [name, value] of Object.entries(n.attributes ?? {})) {
          node.message(5, (a) => {
            a.string(1, name);
            if (Array.isArray(value)) {
              for (const v of value) a.int(8, v);
              a.int(20, 7);
            } else a.int(3, value).int(20, 2);
          });
        }
      }),
    );
    g.string(2, "g");
    for (const t of spec.initializers) {
      g.message(5, (tensor) => {
        for (const d of t.dims) tensor.int(1, d);
        tensor.int(2, t.data instanceof Float32Array ? ELEM.float32 : ELEM.int64).string(8, t.name);
        tensor.bytesField(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      });
    }
    for (const v of spec.inputs) g.message(11, (x) => valueInfo(x, v));
    for (const v of spec.outputs) g.message(12, (x) => valueInfo(x, v));
  });
  w.message(8, (op) => op.string(1, "").int(2, 13));
  return Uint8Array.from(w.bytes);
}
