// Stands in for npm `seedrandom` where it is not installed (a pip install): TF.js's cpu
// backend requires it at load time, but only its random-number kernels call it, and
// prediction never does. Calling it says so instead of returning made-up numbers.
'use strict';
function unavailable() {
  throw new Error('seedrandom is not installed: random kernels are unavailable here');
}
module.exports = unavailable;
module.exports.alea = unavailable;
