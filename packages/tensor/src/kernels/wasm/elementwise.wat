;; float32 elementwise kernels with WebAssembly SIMD128 (f32x4). For now: exp.
;;
;; Compiled by `pnpm build:wasm` (packages/tensor/scripts/build-wasm.ts) into the base64 in
;; elementwise-wasm.ts; the JS side is simd-elementwise.ts. Addresses are in BYTES.
;;
;; exp(x) = 2^n e^r with n = round(x / ln2), r = x - n ln2 (Cody-Waite: ln2 in two parts, the
;; first with few enough bits that n * hi is exact), |r| <= ln2/2, and e^r by Cephes' expf
;; polynomial: 1 + r + r^2 (c0 + c1 r + ... + c5 r^5), all in float32, no fused multiply-add.
;; 2^n is applied as two factors 2^(n>>1) and 2^(n - (n>>1)), each a normal float built from
;; its exponent bits, so results that overflow become +inf and results in the subnormal range
;; are rounded once (by the last multiply) instead of flushed. x is first clamped to
;; [-104, 89], outside which the result is 0 or +inf anyway; NaN passes the clamp (wasm's
;; f32x4.min/max propagate NaN) and stays NaN through the arithmetic.
;; Measured: within 1 ulp of the correctly rounded result on every 13th float32 in [-104, 89]
;; (172 million inputs, subnormal results included); test/exp-wasm.test.ts checks <= 2 ulp.

(module
  ;; Grown by the JS side (memory.grow) to fit the data; never shrinks.
  (memory (export "memory") 1)

  ;; In place: the `count` floats at `at` (a multiple of 16 bytes) become their exp. The loop
  ;; works on whole vectors: up to 3 floats past the end are computed too (the JS side
  ;; reserves them), and ignored.
  (func (export "exp") (param $at i32) (param $count i32)
    (local $end i32) (local $x v128) (local $n v128) (local $r v128) (local $p v128)
    (local $k v128) (local $k1 v128)
    (if (i32.le_s (local.get $count) (i32.const 0)) (then (return)))
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $count) (i32.const 2))))
    (loop $vectors
      ;; clamp (NaN stays NaN)
      (local.set $x
        (f32x4.min (f32x4.max (v128.load (local.get $at)) (v128.const f32x4 -104 -104 -104 -104))
                   (v128.const f32x4 89 89 89 89)))
      ;; n = round(x * log2(e)), as a float
      (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 0x1.715476p+0 0x1.715476p+0 0x1.715476p+0 0x1.715476p+0))))
      ;; r = x - n*ln2_hi - n*ln2_lo; ln2_hi = 0.693359375 (9 significant bits), ln2_lo = ln2 - ln2_hi
      (local.set $r
        (f32x4.sub
          (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
          (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      ;; p = ((((c5 r + c4) r + c3) r + c2) r + c1) r + c0
      (local.set $p
        (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
                   (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
      (local.set $p
        (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
                   (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
      (local.set $p
        (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
                   (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
      (local.set $p
        (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
                   (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
      (local.set $p
        (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
                   (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
      ;; e^r = (p r^2 + r) + 1
      (local.set $p
        (f32x4.add
          (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
          (v128.const f32x4 1 1 1 1)))
      ;; 2^n = 2^k1 * 2^(n - k1), k1 = n >> 1: both in [-75, 65], normal floats.
      (local.set $k (i32x4.trunc_sat_f32x4_s (local.get $n)))
      (local.set $k1 (i32x4.shr_s (local.get $k) (i32.const 1)))
      (local.set $p
        (f32x4.mul (local.get $p)
          (i32x4.shl (i32x4.add (local.get $k1) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
      (local.set $p
        (f32x4.mul (local.get $p)
          (i32x4.shl (i32x4.add (i32x4.sub (local.get $k) (local.get $k1)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
      (v128.store (local.get $at) (local.get $p))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br_if $vectors (i32.lt_u (local.get $at) (local.get $end)))))
)
