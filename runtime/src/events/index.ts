// Public surface of the event layer, for the extension and the CLI.
export * from './types';
export * from './lines';
export * from './tail';
export * from './series';
export * from './state';
