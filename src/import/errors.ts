/** A file given to `sentra import` that cannot be read as what it claims to be. */
export class ImportError extends Error {}
