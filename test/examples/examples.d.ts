// Types for the README's example modules (plain JavaScript, as users would write them).
declare module '*/work-queue.mjs' {
  export function run(url: string): Promise<string[]>;
}
declare module '*/pubsub.mjs' {
  export function run(url: string): Promise<{ a: string[]; b: string[] }>;
}
declare module '*/rpc.mjs' {
  export function run(url: string): Promise<string[]>;
}
declare module '*/stream.mjs' {
  export function run(url: string): Promise<string[]>;
}
