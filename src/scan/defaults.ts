/** Files skipped by default: lock files and source maps hold hashes, not secrets; binaries cannot be read as text. */
export const LOCKFILE_NAMES = new Set([
  'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock', 'deno.lock',
  'Cargo.lock', 'Gemfile.lock', 'poetry.lock', 'Pipfile.lock', 'uv.lock', 'pdm.lock', 'composer.lock', 'go.sum',
  'mix.lock', 'pubspec.lock', 'Podfile.lock', 'packages.lock.json', 'flake.lock', 'gradle.lockfile', 'Package.resolved',
])

const BINARY_EXTENSIONS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'ico', 'icns', 'webp', 'tif', 'tiff', 'psd', 'heic', 'avif',
  'pdf', 'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'jar', 'war', 'ear', 'class', 'so', 'dylib', 'dll',
  'exe', 'bin', 'o', 'a', 'lib', 'woff', 'woff2', 'ttf', 'otf', 'eot', 'mp3', 'mp4', 'm4a', 'mov', 'avi', 'mkv',
  'wav', 'flac', 'ogg', 'webm', 'wasm', 'pyc', 'pyo', 'sqlite', 'sqlite3', 'db', 'node', 'iso', 'dmg', 'deb', 'rpm',
])

export function baseName(path: string): string {
  const slash = path.lastIndexOf('/')
  return slash === -1 ? path : path.slice(slash + 1)
}

/**
 * Scanner metadata: ignore files and baselines hold fingerprints and hashes of findings, which look
 * like `token: <hex>` to a generic rule but are never secrets.
 */
const SCANNER_METADATA = new Set(['.sentraignore', '.gitleaksignore', '.secrets.baseline', '.gitleaks-baseline.json'])

export function isScannerMetadata(path: string): boolean {
  return SCANNER_METADATA.has(baseName(path)) || path === '.sentra/baseline.json'
}

export function isLockfile(path: string): boolean {
  return LOCKFILE_NAMES.has(baseName(path))
}

export function isSourceMap(path: string): boolean {
  return path.endsWith('.map')
}

export function hasBinaryExtension(path: string): boolean {
  const name = baseName(path)
  const dot = name.lastIndexOf('.')
  return dot !== -1 && BINARY_EXTENSIONS.has(name.slice(dot + 1).toLowerCase())
}

export const DEFAULT_MAX_FILE_SIZE = 25 * 1024 * 1024
