// The protocol layer's public surface: codec, frame reader, writer, field tables and the error type.
export * from './methods.js';
export * from './field-table.js';
export * from './errors.js';
export * from './writer.js';
export * from './frame-reader.js';
export * from './content.js';
export * from './header-splice.js';
