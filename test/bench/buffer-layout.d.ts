// The slice of buffer-layout's API the codec benchmark uses (the package ships no types).
declare module 'buffer-layout' {
  export interface Layout {
    decode(b: Buffer, offset?: number): unknown;
    encode(src: unknown, b: Buffer, offset?: number): number;
  }
  export function struct(fields: Layout[], property?: string): Layout;
  export function u8(property?: string): Layout;
  export function u16be(property?: string): Layout;
  export function u32be(property?: string): Layout;
  export function nu64be(property?: string): Layout;
}
