/**
 * The injector: a pure streaming transform from HTML bytes to HTML bytes that
 * tags same-origin media for the P2P client and injects the client once.
 */
export { createInjector, type InjectorStream, type InjectorEvents, type RewriteEngine, type EngineFactory } from './create-injector.js';
export { HtmlInjectorEngine, type InjectorStats } from './html-injector.js';
export { resolveInjectorOptions, DEFAULT_FOLD_COUNT, type InjectorOptions, type AssetRef } from './options.js';
export { charsetFromContentType, isAsciiCompatibleLabel } from './charset.js';
export { injectionMarkup, scriptSafeJson } from './config-script.js';
