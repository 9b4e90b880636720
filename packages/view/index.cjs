'use strict';
// The CommonJS entry of @ranklog/view. Node.js 20.19+ and 22.12+ load ES modules with require(),
// and return the very module that import gives: one copy of the package per process, never
// the two of a dual build (whose module state, such as the exit hooks, would split in two).
try {
  module.exports = require('./dist/index.js');
} catch (e) {
  if (e && e.code === 'ERR_REQUIRE_ESM') {
    throw new Error(
      "ranklog: require('@ranklog/view') needs Node.js 20.19+ or 22.12+ (require() of ES modules); this is Node.js " +
        process.version +
        ". Upgrade Node.js, or load it with await import('@ranklog/view').",
      { cause: e },
    );
  }
  throw e;
}
