;; float32 elementwise kernels with WebAssembly SIMD128 (f32x4): exp, tanh, sigmoid,
;; add/sub/mul/div, relu and its backward, a float64 sum, and softmax over rows.
;;
;; Compiled by `pnpm build:wasm` (packages/tensor/scripts/build-wasm.ts) with the memory below
;; replaced by an imported shared one (elementwise-wasm.ts): over the arena the kernels work on
;; tensors' storage in place (kernels/wasm/module.ts); elsewhere the same binary, its import
;; made non-shared, runs on a memory of its own that data is copied into. Addresses are in BYTES.
;; The elementwise kernels take (arrays..., count), the calling convention of kernels/wasm/fused.ts
;; (which also passes a scalar-block address, ignored by kernels without scalars).
;; Every kernel writes exactly `count` floats: vectors of 4, then the 0-3 left one at a time.
;;
(module
  ;; Grown by the JS side (memory.grow) to fit the data; never shrinks.
  (memory (export "memory") 1)

  ;; The first `count` (1-3) floats at `at` in lanes 0.., zeros after: the last partial vector.
  (func $loadPartial (param $at i32) (param $count i32) (result v128)
    (local $x v128)
    (local.set $x (v128.load32_zero (local.get $at)))
    (if (i32.gt_u (local.get $count) (i32.const 1)) (then (local.set $x (v128.load32_lane offset=4 1 (local.get $at) (local.get $x)))))
    (if (i32.gt_u (local.get $count) (i32.const 2)) (then (local.set $x (v128.load32_lane offset=8 2 (local.get $at) (local.get $x)))))
    (local.get $x))

  ;; Store lanes 0 .. count-1 (count 1-3) of $x at `at`.
  (func $storePartial (param $at i32) (param $x v128) (param $count i32)
    (v128.store32_lane 0 (local.get $at) (local.get $x))
    (if (i32.gt_u (local.get $count) (i32.const 1)) (then (v128.store32_lane offset=4 1 (local.get $at) (local.get $x))))
    (if (i32.gt_u (local.get $count) (i32.const 2)) (then (v128.store32_lane offset=8 2 (local.get $at) (local.get $x)))))

  ;; dst[i] = exp(src[i]) for i < count (dst may be src). One vector per iteration; the last
  ;; may be partial. (The body is inline: V8 does not inline wasm calls, and a call per vector
  ;; costs as much as the arithmetic.)
  (func (export "exp") (param $src i32) (param $dst i32) (param $count i32)
    (local $x v128) (local $n v128) (local $r v128) (local $p v128) (local $k v128) (local $k1 v128)
    (block $done (loop $vectors
      (br_if $done (i32.le_s (local.get $count) (i32.const 0)))
      (if (i32.ge_s (local.get $count) (i32.const 4))
        (then (local.set $x (v128.load (local.get $src))))
        (else (local.set $x (call $loadPartial (local.get $src) (local.get $count)))))
      ;; clamp (NaN stays NaN)
      (local.set $x
        (f32x4.min (f32x4.max (local.get $x) (v128.const f32x4 -104 -104 -104 -104))
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
      (if (i32.ge_s (local.get $count) (i32.const 4))
        (then (v128.store (local.get $dst) (local.get $p)))
        (else (call $storePartial (local.get $dst) (local.get $p) (local.get $count))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $count (i32.sub (local.get $count) (i32.const 4)))
      (br $vectors))))

;; ---------------------------------------------------------------- tanh and sigmoid
  ;; Both are computed in f64x2 lanes (float32 arithmetic would lose bits to cancellation)
  ;; from e^y below, then rounded once to float32: within 1 ulp of the correctly rounded result.

  ;; e^y for y in [-104, 20], 2 lanes: e^y = 2^n e^r, n = round(y / ln2), |r| <= ln2/2 (ln2 in
  ;; two parts: n * LN2_HI is exact), e^r by its Taylor polynomial to r^13 (truncation error
  ;; < 5e-18 relative, below a float64 ulp) in Estrin's scheme (a dependency chain of 6
  ;; operations instead of Horner's 26), 2^n built from its exponent bits (-150 <= n <= 29).
  ;; Within a few float64 ulp, so rounded to float32 it almost always equals fround(Math.exp(y)):
  ;; softmax below relies on that to match the JS kernel.
  (func $expf64x2 (param $y v128) (result v128)
    (local $n v128) (local $r v128) (local $r2 v128) (local $r4 v128) (local $p v128)
    (local.set $n (f64x2.nearest (f64x2.mul (local.get $y) (v128.const f64x2 0x1.71547652b82fep+0 0x1.71547652b82fep+0))))
    (local.set $r
      (f64x2.sub
        (f64x2.sub (local.get $y) (f64x2.mul (local.get $n) (v128.const f64x2 0x1.62e42fee00000p-1 0x1.62e42fee00000p-1)))
        (f64x2.mul (local.get $n) (v128.const f64x2 0x1.a39ef35793c76p-33 0x1.a39ef35793c76p-33))))
    (local.set $r2 (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $r4 (f64x2.mul (local.get $r2) (local.get $r2)))
    ;; (c0 + c1 r + r2 (c2 + c3 r)) + r4 (c4 + c5 r + r2 (c6 + c7 r))
    ;;   + r8 ((c8 + c9 r + r2 (c10 + c11 r)) + r4 (c12 + c13 r)),  c_k = 1/k!
    (local.set $p
      (f64x2.add
        (f64x2.add
          (f64x2.add (f64x2.add (v128.const f64x2 1 1) (local.get $r)) (f64x2.mul (local.get $r2) (f64x2.add (v128.const f64x2 0x1.0000000000000p-1 0x1.0000000000000p-1) (f64x2.mul (local.get $r) (v128.const f64x2 0x1.5555555555555p-3 0x1.5555555555555p-3)))))
          (f64x2.mul (local.get $r4) (f64x2.add (f64x2.add (v128.const f64x2 0x1.5555555555555p-5 0x1.5555555555555p-5) (f64x2.mul (local.get $r) (v128.const f64x2 0x1.1111111111111p-7 0x1.1111111111111p-7))) (f64x2.mul (local.get $r2) (f64x2.add (v128.const f64x2 0x1.6c16c16c16c17p-10 0x1.6c16c16c16c17p-10) (f64x2.mul (local.get $r) (v128.const f64x2 0x1.a01a01a01a01ap-13 0x1.a01a01a01a01ap-13)))))))
        (f64x2.mul (f64x2.mul (local.get $r4) (local.get $r4))
          (f64x2.add
            (f64x2.add (f64x2.add (v128.const f64x2 0x1.a01a01a01a01ap-16 0x1.a01a01a01a01ap-16) (f64x2.mul (local.get $r) (v128.const f64x2 0x1.71de3a556c734p-19 0x1.71de3a556c734p-19))) (f64x2.mul (local.get $r2) (f64x2.add (v128.const f64x2 0x1.27e4fb7789f5cp-22 0x1.27e4fb7789f5cp-22) (f64x2.mul (local.get $r) (v128.const f64x2 0x1.ae64567f544e4p-26 0x1.ae64567f544e4p-26)))))
            (f64x2.mul (local.get $r4) (f64x2.add (v128.const f64x2 0x1.1eed8eff8d898p-29 0x1.1eed8eff8d898p-29) (f64x2.mul (local.get $r) (v128.const f64x2 0x1.6124613a86d09p-33 0x1.6124613a86d09p-33))))))))
    (f64x2.mul (local.get $p)
      (i64x2.shl
        (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $n))) (v128.const i64x2 1023 1023))
        (i32.const 52))))

  ;; tanh, 2 lanes: with a = min(|x|, 10) (tanh 10 is 1 in float32), (e - 1) / (e + 1) with
  ;; e = e^(2a); below a = 2^-6 the series a - a^3/3 + 2a^5/15 - 17a^7/315 instead (e - 1
  ;; would cancel). The sign of x is put back last, so -0 stays -0; NaN passes the clamp
  ;; (f64x2.min propagates it) and stays NaN.
  (func $tanh2 (param $x v128) (result v128)
    (local $a v128) (local $e v128) (local $a2 v128) (local $p v128) (local $small v128)
    (local.set $a (f64x2.min (f64x2.abs (local.get $x)) (v128.const f64x2 10 10)))
    (local.set $e (call $expf64x2 (f64x2.add (local.get $a) (local.get $a))))
    (local.set $e (f64x2.div (f64x2.sub (local.get $e) (v128.const f64x2 1 1)) (f64x2.add (local.get $e) (v128.const f64x2 1 1))))
    ;; small a: the series (rare in data, so only when a lane needs it)
    (local.set $small (f64x2.lt (local.get $a) (v128.const f64x2 0x1p-6 0x1p-6)))
    (if (v128.any_true (local.get $small))
      (then
        (local.set $a2 (f64x2.mul (local.get $a) (local.get $a)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $a2) (v128.const f64x2 -0x1.ba1ba1ba1ba1cp-5 -0x1.ba1ba1ba1ba1cp-5)) (v128.const f64x2 0x1.1111111111111p-3 0x1.1111111111111p-3)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $a2)) (v128.const f64x2 -0x1.5555555555555p-2 -0x1.5555555555555p-2)))
        (local.set $p (f64x2.add (local.get $a) (f64x2.mul (f64x2.mul (local.get $p) (local.get $a2)) (local.get $a))))
        (local.set $e (v128.bitselect (local.get $p) (local.get $e) (local.get $small)))))
    (v128.bitselect (local.get $x) (local.get $e) (v128.const i64x2 0x8000000000000000 0x8000000000000000)))

  ;; sigmoid, 2 lanes: with e = e^-a, a = min(|x|, 104) (below, float32 gives 0 or 1 anyway),
  ;; 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0: no cancellation on either side.
  ;; NaN stays NaN.
  (func $sigmoid2 (param $x v128) (result v128)
    (local $e v128) (local $s v128)
    (local.set $e (call $expf64x2 (f64x2.neg (f64x2.min (f64x2.abs (local.get $x)) (v128.const f64x2 104 104)))))
    (local.set $s (f64x2.div (v128.const f64x2 1 1) (f64x2.add (v128.const f64x2 1 1) (local.get $e))))
    (v128.bitselect (f64x2.mul (local.get $e) (local.get $s)) (local.get $s) (f64x2.lt (local.get $x) (v128.const f64x2 0 0))))

  ;; dst[i] = tanh(src[i]) / sigmoid(src[i]) for i < count (dst may be src): four floats an
  ;; iteration, as two f64x2 halves, back into one f32x4; the last 1-3 through one partial
  ;; vector. (The two loops differ only in the function they call: passing it through a
  ;; table with call_indirect costs 25% more, since V8 inlines no wasm calls.)
  (func (export "tanh") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done (loop $quads
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $v (v128.load (local.get $src)))
      (v128.store (local.get $dst)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (call $tanh2 (f64x2.promote_low_f32x4 (local.get $v))))
          (f32x4.demote_f64x2_zero (call $tanh2 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $quads)))
    (local.set $count (i32.and (local.get $count) (i32.const 3)))
    (if (i32.eqz (local.get $count)) (then (return)))
    (local.set $v (call $loadPartial (local.get $src) (local.get $count)))
    (call $storePartial (local.get $dst)
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (call $tanh2 (f64x2.promote_low_f32x4 (local.get $v))))
        (f32x4.demote_f64x2_zero (call $tanh2 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))
      (local.get $count)))

  (func (export "sigmoid") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done (loop $quads
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $v (v128.load (local.get $src)))
      (v128.store (local.get $dst)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (call $sigmoid2 (f64x2.promote_low_f32x4 (local.get $v))))
          (f32x4.demote_f64x2_zero (call $sigmoid2 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $quads)))
    (local.set $count (i32.and (local.get $count) (i32.const 3)))
    (if (i32.eqz (local.get $count)) (then (return)))
    (local.set $v (call $loadPartial (local.get $src) (local.get $count)))
    (call $storePartial (local.get $dst)
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (call $sigmoid2 (f64x2.promote_low_f32x4 (local.get $v))))
        (f32x4.demote_f64x2_zero (call $sigmoid2 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))
      (local.get $count)))

  ;; out[i] = a[i] + b[i] for i < count (out may be a or b).
  (func (export "add") (param $a i32) (param $b i32) (param $out i32) (param $count i32)
    (local $end i32) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    ;; a cache line of each (16 floats) an iteration, computed before any store (see relu)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const -16)) (i32.const 2))))
    (block $done (loop $lines
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x0 (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $x1 (f32x4.add (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
      (local.set $x2 (f32x4.add (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b))))
      (local.set $x3 (f32x4.add (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b))))
      (v128.store (local.get $out) (local.get $x0))
      (v128.store offset=16 (local.get $out) (local.get $x1))
      (v128.store offset=32 (local.get $out) (local.get $x2))
      (v128.store offset=48 (local.get $out) (local.get $x3))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (local.set $out (i32.add (local.get $out) (i32.const 64)))
      (br $lines)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 12)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (v128.store (local.get $out) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $out) (f32.add (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $floats))))

  ;; out[i] = a[i] - b[i] for i < count (out may be a or b).
  (func (export "sub") (param $a i32) (param $b i32) (param $out i32) (param $count i32)
    (local $end i32) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    ;; a cache line of each (16 floats) an iteration, computed before any store (see relu)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const -16)) (i32.const 2))))
    (block $done (loop $lines
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x0 (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $x1 (f32x4.sub (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
      (local.set $x2 (f32x4.sub (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b))))
      (local.set $x3 (f32x4.sub (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b))))
      (v128.store (local.get $out) (local.get $x0))
      (v128.store offset=16 (local.get $out) (local.get $x1))
      (v128.store offset=32 (local.get $out) (local.get $x2))
      (v128.store offset=48 (local.get $out) (local.get $x3))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (local.set $out (i32.add (local.get $out) (i32.const 64)))
      (br $lines)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 12)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (v128.store (local.get $out) (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $out) (f32.sub (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $floats))))

  ;; out[i] = a[i] * b[i] for i < count (out may be a or b).
  (func (export "mul") (param $a i32) (param $b i32) (param $out i32) (param $count i32)
    (local $end i32) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    ;; a cache line of each (16 floats) an iteration, computed before any store (see relu)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const -16)) (i32.const 2))))
    (block $done (loop $lines
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x0 (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $x1 (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
      (local.set $x2 (f32x4.mul (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b))))
      (local.set $x3 (f32x4.mul (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b))))
      (v128.store (local.get $out) (local.get $x0))
      (v128.store offset=16 (local.get $out) (local.get $x1))
      (v128.store offset=32 (local.get $out) (local.get $x2))
      (v128.store offset=48 (local.get $out) (local.get $x3))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (local.set $out (i32.add (local.get $out) (i32.const 64)))
      (br $lines)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 12)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (v128.store (local.get $out) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $out) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $floats))))

  ;; out[i] = a[i] / b[i] for i < count (out may be a or b).
  (func (export "div") (param $a i32) (param $b i32) (param $out i32) (param $count i32)
    (local $end i32) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    ;; a cache line of each (16 floats) an iteration, computed before any store (see relu)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const -16)) (i32.const 2))))
    (block $done (loop $lines
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x0 (f32x4.div (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $x1 (f32x4.div (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
      (local.set $x2 (f32x4.div (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b))))
      (local.set $x3 (f32x4.div (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b))))
      (v128.store (local.get $out) (local.get $x0))
      (v128.store offset=16 (local.get $out) (local.get $x1))
      (v128.store offset=32 (local.get $out) (local.get $x2))
      (v128.store offset=48 (local.get $out) (local.get $x3))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (local.set $out (i32.add (local.get $out) (i32.const 64)))
      (br $lines)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 12)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (v128.store (local.get $out) (f32x4.div (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (f32.store (local.get $out) (f32.div (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $floats))))

  ;; dst[i] = relu(src[i]) for i < count (dst may be src): lanes <= 0 (-0 included) are
  ;; cleared to +0 and NaN passes through with its payload, the same bits as the JS kernel.
  (func (export "relu") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $v v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    ;; a cache line (16 floats) an iteration while whole ones are left: all four loads issue
    ;; before the first store, which keeps more memory requests in flight (this op is
    ;; memory-bound: 4 MB in and out for 1e6 floats)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -16)) (i32.const 2))))
    (block $done (loop $lines
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $v (v128.load (local.get $src)))
      (local.set $v1 (v128.load offset=16 (local.get $src)))
      (local.set $v2 (v128.load offset=32 (local.get $src)))
      (local.set $v3 (v128.load offset=48 (local.get $src)))
      (v128.store (local.get $dst) (v128.andnot (local.get $v) (f32x4.le (local.get $v) (v128.const f32x4 0 0 0 0))))
      (v128.store offset=16 (local.get $dst) (v128.andnot (local.get $v1) (f32x4.le (local.get $v1) (v128.const f32x4 0 0 0 0))))
      (v128.store offset=32 (local.get $dst) (v128.andnot (local.get $v2) (f32x4.le (local.get $v2) (v128.const f32x4 0 0 0 0))))
      (v128.store offset=48 (local.get $dst) (v128.andnot (local.get $v3) (f32x4.le (local.get $v3) (v128.const f32x4 0 0 0 0))))
      (local.set $src (i32.add (local.get $src) (i32.const 64)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
      (br $lines)))
    (local.set $count (i32.and (local.get $count) (i32.const 15)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $v (v128.load (local.get $src)))
      (v128.store (local.get $dst) (v128.andnot (local.get $v) (f32x4.le (local.get $v) (v128.const f32x4 0 0 0 0))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $vectors)))
    (local.set $count (i32.and (local.get $count) (i32.const 3)))
    (if (i32.eqz (local.get $count)) (then (return)))
    (local.set $v (call $loadPartial (local.get $src) (local.get $count)))
    (call $storePartial (local.get $dst)
      (v128.andnot (local.get $v) (f32x4.le (local.get $v) (v128.const f32x4 0 0 0 0))) (local.get $count)))

  ;; out[i] = y[i] <= 0 ? 0 : g[i] for i < count: relu's backward (elementwise.ts's reluGrad),
  ;; g the incoming gradient, y relu's output; a NaN y keeps g, as torch's threshold_backward.
  (func (export "reluGrad") (param $g i32) (param $y i32) (param $out i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $g) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vectors
      (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
      (v128.store (local.get $out)
        (v128.andnot (v128.load (local.get $g)) (f32x4.le (v128.load (local.get $y)) (v128.const f32x4 0 0 0 0))))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $vectors)))
    (local.set $end (i32.add (local.get $g) (i32.shl (i32.and (local.get $count) (i32.const 3)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
      (f32.store (local.get $out)
        (select (f32.const 0) (f32.load (local.get $g)) (f32.le (f32.load (local.get $y)) (f32.const 0))))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $floats))))

  ;; ---------------------------------------------------------------- sum
  ;; The sum of `count` floats at `at`, in float64, bit for bit as the JS kernel
  ;; (kernels/reduce.ts's sumRow): eight float64 sums s0..s7, s_k taking elements 8j + k (here
  ;; four f64x2 lanes pairs), the 0-7 left added to s0, then ((s0+s1) + (s2+s3)) +
  ;; ((s4+s5) + (s6+s7)). The same additions in the same order, so the same result.
  (func (export "sum") (param $at i32) (param $count i32) (result f64)
    (local $end i32) (local $v v128) (local $w v128)
    (local $s01 v128) (local $s23 v128) (local $s45 v128) (local $s67 v128) (local $s0 f64)
    (local.set $end (i32.add (local.get $at) (i32.shl (i32.and (local.get $count) (i32.const -8)) (i32.const 2))))
    (block $done (loop $eights
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (local.set $v (v128.load (local.get $at)))
      (local.set $w (v128.load offset=16 (local.get $at)))
      (local.set $s01 (f64x2.add (local.get $s01) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $s23 (f64x2.add (local.get $s23) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $s45 (f64x2.add (local.get $s45) (f64x2.promote_low_f32x4 (local.get $w))))
      (local.set $s67 (f64x2.add (local.get $s67) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w)))))
      (local.set $at (i32.add (local.get $at) (i32.const 32)))
      (br $eights)))
    (local.set $s0 (f64x2.extract_lane 0 (local.get $s01)))
    (local.set $end (i32.add (local.get $at) (i32.shl (i32.and (local.get $count) (i32.const 7)) (i32.const 2))))
    (block $done (loop $floats
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (local.set $s0 (f64.add (local.get $s0) (f64.promote_f32 (f32.load (local.get $at)))))
      (local.set $at (i32.add (local.get $at) (i32.const 4)))
      (br $floats)))
    (f64.add
      (f64.add
        (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $s01)))
        (f64.add (f64x2.extract_lane 0 (local.get $s23)) (f64x2.extract_lane 1 (local.get $s23))))
      (f64.add
        (f64.add (f64x2.extract_lane 0 (local.get $s45)) (f64x2.extract_lane 1 (local.get $s45)))
        (f64.add (f64x2.extract_lane 0 (local.get $s67)) (f64x2.extract_lane 1 (local.get $s67))))))

  ;; acc[j] += a[i][j] for each of `rows` contiguous rows of n floats at $a, into n float64 at
  ;; $acc, row after row: reduce.ts's loop for a sum over the leading dim (a bias gradient),
  ;; the same float64 additions in the same order. Two columns at a time (f64x2).
  (func (export "columnSums") (param $a i32) (param $rows i32) (param $n i32) (param $acc i32)
    (local $rowEnd i32) (local $end i32) (local $p i32) (local $q i32)
    (local.set $end (i32.add (local.get $a) (i32.mul (local.get $rows) (i32.shl (local.get $n) (i32.const 2)))))
    (block $done (loop $rowLoop
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $p (local.get $a))
      (local.set $q (local.get $acc))
      (local.set $rowEnd (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
      (block $pairsDone (loop $pairs
        (br_if $pairsDone (i32.ge_u (local.get $p) (local.get $rowEnd)))
        (v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $pairs)))
      (if (i32.and (local.get $n) (i32.const 1))
        (then (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.promote_f32 (f32.load (local.get $p)))))))
      (local.set $a (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
      (br $rowLoop))))

  ;; ---------------------------------------------------------------- softmax
  ;; Float32 softmax and log-softmax over contiguous rows, as softmax.ts's softmaxRow (the JS
  ;; reference, which follows PyTorch's CPU kernel): per row of n,
  ;;   m = max x (NaN never wins; 0 if nothing beats -inf),  e_j = fl(exp(fl(x_j - m))),
  ;;   s = the float32 sum of e_j in torch's AVX2 order (softmax.ts's torchFloat32Sum),
  ;;   softmax: fl(e_j * fl(1 / s)),  log-softmax: fl(fl(x_j - m) - fl(log s)).
  ;; exp and log are computed in float64 to a few float64 ulp and rounded once, so they equal
  ;; the JS kernel's fround(Math.exp(.)) and fround(Math.log(.)) except when the float64 value
  ;; lies within those few ulp of a float32 rounding midpoint (about 1 in 10^8).

  ;; exp of 4 float32 lanes, rounded to float32 (clamped to [-104, 89], outside which float32
  ;; exp is 0 or Inf anyway; NaN stays NaN).
  (func $exp4 (param $y v128) (result v128)
    (local.set $y (f32x4.min (f32x4.max (local.get $y) (v128.const f32x4 -104 -104 -104 -104)) (v128.const f32x4 89 89 89 89)))
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (call $expf64x2 (f64x2.promote_low_f32x4 (local.get $y))))
      (f32x4.demote_f64x2_zero (call $expf64x2 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))))))

  ;; The first `count` (1-4) floats at `at`, zeros after.
  (func $loadUpTo4 (param $at i32) (param $count i32) (result v128)
    (if (result v128) (i32.ge_u (local.get $count) (i32.const 4))
      (then (v128.load (local.get $at)))
      (else (call $loadPartial (local.get $at) (local.get $count)))))

  ;; $x with lanes `count` (0-4) and up set to 0.
  (func $keepLanes (param $x v128) (param $count i32) (result v128)
    (v128.and (local.get $x) (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $count)))))

  ;; log s for s = 0, +Inf, NaN or a positive normal float64, to a few ulp: s = 2^k m with
  ;; m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(t) = 2 (t + t^3/3 + ... + t^21/21) with
  ;; t = (m - 1) / (m + 1), |t| <= 0.172 (the series' next term is below 1e-18 of the sum).
  (func $log64 (param $s f64) (result f64)
    (local $bits i64) (local $k f64) (local $m f64) (local $t f64) (local $t2 f64) (local $q f64)
    (if (i32.or (f64.ne (local.get $s) (local.get $s)) (f64.eq (local.get $s) (f64.const inf))) (then (return (local.get $s))))
    (if (f64.eq (local.get $s) (f64.const 0)) (then (return (f64.const -inf))))
    (local.set $bits (i64.reinterpret_f64 (local.get $s)))
    (local.set $k (f64.convert_i64_s (i64.sub (i64.shr_u (local.get $bits) (i64.const 52)) (i64.const 1023))))
    (local.set $m (f64.reinterpret_i64 (i64.or (i64.and (local.get $bits) (i64.const 0x000fffffffffffff)) (i64.const 0x3ff0000000000000))))
    (if (f64.gt (local.get $m) (f64.const 0x1.6a09e667f3bcdp+0))
      (then
        (local.set $m (f64.mul (local.get $m) (f64.const 0.5)))
        (local.set $k (f64.add (local.get $k) (f64.const 1)))))
    (local.set $t (f64.div (f64.sub (local.get $m) (f64.const 1)) (f64.add (local.get $m) (f64.const 1))))
    (local.set $t2 (f64.mul (local.get $t) (local.get $t)))
    (local.set $q (f64.const 0x1.8618618618618p-5)) ;; 1/21, then Horner down to 1/3
    (local.set $q (f64.add (f64.mul (local.get $q) (local.get $t2)) (f64.const 0x1.af286bca1af28p-5))) ;; 1/19
    (local.set $q (f64.add (f64.mul (local.get $q) (local.get $t2)) (f64.const 0x1.e1e1e1e1e1e1ep-5))) ;; 1/17
    (local.set $q (f64.add (f64.mul (local.get $q) (local.get $t2)) (f64.const 0x1.1111111111111p-4))) ;; 1/15
    (local.set $q (f64.add (f64.mul (local.get $q) (local.get $t2)) (f64.const 0x1.3b13b13b13b14p-4))) ;; 1/13
    (local.set $q (f64.add (f64.mul (local.get $q) (local.get $t2)) (f64.const 0x1.745d1745d1746p-4))) ;; 1/11
    (local.set $q (f64.add (f64.mul (local.get $q) (local.get $t2)) (f64.const 0x1.c71c71c71c71cp-4))) ;; 1/9
    (local.set $q (f64.add (f64.mul (local.get $q) (local.get $t2)) (f64.const 0x1.2492492492492p-3))) ;; 1/7
    (local.set $q (f64.add (f64.mul (local.get $q) (local.get $t2)) (f64.const 0x1.999999999999ap-3))) ;; 1/5
    (local.set $q (f64.add (f64.mul (local.get $q) (local.get $t2)) (f64.const 0x1.5555555555555p-2))) ;; 1/3
    ;; k ln2 (in two parts: k * LN2_HI is exact) + 2t + 2t t^2 q
    (f64.add
      (f64.mul (local.get $k) (f64.const 0x1.62e42fee00000p-1))
      (f64.add
        (f64.add (f64.add (local.get $t) (local.get $t)) (f64.mul (local.get $k) (f64.const 0x1.a39ef35793c76p-33)))
        (f64.mul (f64.add (local.get $t) (local.get $t)) (f64.mul (local.get $t2) (local.get $q))))))

  ;; sum_j fl(exp(fl(x_j - m))) over a row of n floats at $x, mv = m in every lane, added in
  ;; float32 as torchFloat32Sum: under 8 terms left to right; else 8 lanes (two f32x4, the
  ;; 0-7 left over added into the first lanes, +0 into the others: exact, as every term is
  ;; >= +0 or NaN), then combined as torch's AVX2 tree: s_i = l_i + l_(i+4), then
  ;; (s0 + s2) + (s1 + s3).
  (func $expSum (param $x i32) (param $n i32) (param $mv v128) (result f32)
    (local $l0 v128) (local $l1 v128) (local $e v128) (local $end i32) (local $left i32) (local $s f32)
    (if (i32.lt_u (local.get $n) (i32.const 8))
      (then
        (local.set $e (call $exp4 (f32x4.sub (call $loadUpTo4 (local.get $x) (local.get $n)) (local.get $mv))))
        (local.set $s (f32x4.extract_lane 0 (local.get $e)))
        (if (i32.gt_u (local.get $n) (i32.const 1)) (then (local.set $s (f32.add (local.get $s) (f32x4.extract_lane 1 (local.get $e))))))
        (if (i32.gt_u (local.get $n) (i32.const 2)) (then (local.set $s (f32.add (local.get $s) (f32x4.extract_lane 2 (local.get $e))))))
        (if (i32.gt_u (local.get $n) (i32.const 3)) (then (local.set $s (f32.add (local.get $s) (f32x4.extract_lane 3 (local.get $e))))))
        (if (i32.le_u (local.get $n) (i32.const 4)) (then (return (local.get $s))))
        (local.set $e (call $exp4 (f32x4.sub (call $loadPartial (i32.add (local.get $x) (i32.const 16)) (i32.sub (local.get $n) (i32.const 4))) (local.get $mv))))
        (local.set $s (f32.add (local.get $s) (f32x4.extract_lane 0 (local.get $e))))
        (if (i32.gt_u (local.get $n) (i32.const 5)) (then (local.set $s (f32.add (local.get $s) (f32x4.extract_lane 1 (local.get $e))))))
        (if (i32.gt_u (local.get $n) (i32.const 6)) (then (local.set $s (f32.add (local.get $s) (f32x4.extract_lane 2 (local.get $e))))))
        (return (local.get $s))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done (loop $eights
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $l0 (f32x4.add (local.get $l0) (call $exp4 (f32x4.sub (v128.load (local.get $x)) (local.get $mv)))))
      (local.set $l1 (f32x4.add (local.get $l1) (call $exp4 (f32x4.sub (v128.load offset=16 (local.get $x)) (local.get $mv)))))
      (local.set $x (i32.add (local.get $x) (i32.const 32)))
      (br $eights)))
    (local.set $left (i32.and (local.get $n) (i32.const 7)))
    (if (local.get $left)
      (then
        (local.set $e (call $exp4 (f32x4.sub (call $loadUpTo4 (local.get $x) (local.get $left)) (local.get $mv))))
        (local.set $l0 (f32x4.add (local.get $l0) (call $keepLanes (local.get $e) (local.get $left))))
        (if (i32.gt_u (local.get $left) (i32.const 4))
          (then
            (local.set $e (call $exp4 (f32x4.sub (call $loadPartial (i32.add (local.get $x) (i32.const 16)) (i32.sub (local.get $left) (i32.const 4))) (local.get $mv))))
            (local.set $l1 (f32x4.add (local.get $l1) (call $keepLanes (local.get $e) (i32.sub (local.get $left) (i32.const 4)))))))))
    (local.set $l0 (f32x4.add (local.get $l0) (local.get $l1)))
    (local.set $l0 (f32x4.add (local.get $l0) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $l0) (local.get $l0))))
    (f32.add (f32x4.extract_lane 0 (local.get $l0)) (f32x4.extract_lane 1 (local.get $l0))))

  ;; Softmax ($log = 0) or log-softmax ($log = 1) of `rows` contiguous rows of n >= 1 floats
  ;; at $src, into $dst (which may be $src).
  (func (export "softmax") (param $src i32) (param $dst i32) (param $rows i32) (param $n i32) (param $log i32)
    (local $bytes i32) (local $end i32) (local $p i32) (local $rowEnd i32) (local $m f32) (local $x f32)
    (local $mv v128) (local $scale v128) (local $v v128) (local $count i32) (local $s f32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end (i32.add (local.get $src) (i32.mul (local.get $rows) (local.get $bytes))))
    (block $done (loop $rowLoop
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      ;; the max, in order, as the JS loop: x > m skips NaN, and of equal zeros the first stays
      (local.set $m (f32.const -inf))
      (local.set $p (local.get $src))
      (local.set $rowEnd (i32.add (local.get $src) (local.get $bytes)))
      (loop $max
        (local.set $x (f32.load (local.get $p)))
        (if (f32.gt (local.get $x) (local.get $m)) (then (local.set $m (local.get $x))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br_if $max (i32.lt_u (local.get $p) (local.get $rowEnd))))
      (if (f32.eq (local.get $m) (f32.const -inf)) (then (local.set $m (f32.const 0))))
      (local.set $mv (f32x4.splat (local.get $m)))
      (local.set $s (call $expSum (local.get $src) (local.get $n) (local.get $mv)))
      (if (local.get $log)
        (then (local.set $scale (f32x4.splat (f32.demote_f64 (call $log64 (f64.promote_f32 (local.get $s)))))))
        (else (local.set $scale (f32x4.splat (f32.div (f32.const 1) (local.get $s))))))
      ;; the outputs, a vector at a time (the last may be partial)
      (local.set $p (i32.const 0))
      (local.set $count (local.get $n))
      (loop $out
        (local.set $v (f32x4.sub (call $loadUpTo4 (i32.add (local.get $src) (local.get $p)) (local.get $count)) (local.get $mv)))
        (if (local.get $log)
          (then (local.set $v (f32x4.sub (local.get $v) (local.get $scale))))
          (else (local.set $v (f32x4.mul (call $exp4 (local.get $v)) (local.get $scale)))))
        (if (i32.ge_u (local.get $count) (i32.const 4))
          (then (v128.store (i32.add (local.get $dst) (local.get $p)) (local.get $v)))
          (else (call $storePartial (i32.add (local.get $dst) (local.get $p)) (local.get $v) (local.get $count))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $count (i32.sub (local.get $count) (i32.const 4)))
        (br_if $out (i32.gt_s (local.get $count) (i32.const 0))))
      (local.set $src (i32.add (local.get $src) (local.get $bytes)))
      (local.set $dst (i32.add (local.get $dst) (local.get $bytes)))
      (br $rowLoop))))

  ;; Log-softmax's backward over `rows` contiguous rows of n, in place on d (the incoming
  ;; gradient): d_j = fl(d_j - fl(fl(exp(y_j)) * s)), y the log-softmax output and s the row's
  ;; float32 sum of d (at $sums, one float per row), as softmax.ts's logSoftmaxGradRows.
  (func (export "logSoftmaxGrad") (param $d i32) (param $y i32) (param $sums i32) (param $rows i32) (param $n i32)
    (local $bytes i32) (local $end i32) (local $sv v128) (local $p i32) (local $count i32) (local $v v128)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end (i32.add (local.get $d) (i32.mul (local.get $rows) (local.get $bytes))))
    (block $done (loop $rowLoop
      (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
      (local.set $sv (f32x4.splat (f32.load (local.get $sums))))
      (local.set $p (i32.const 0))
      (local.set $count (local.get $n))
      (loop $vectors
        (local.set $v
          (f32x4.sub
            (call $loadUpTo4 (i32.add (local.get $d) (local.get $p)) (local.get $count))
            (f32x4.mul (call $exp4 (call $loadUpTo4 (i32.add (local.get $y) (local.get $p)) (local.get $count))) (local.get $sv))))
        (if (i32.ge_u (local.get $count) (i32.const 4))
          (then (v128.store (i32.add (local.get $d) (local.get $p)) (local.get $v)))
          (else (call $storePartial (i32.add (local.get $d) (local.get $p)) (local.get $v) (local.get $count))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $count (i32.sub (local.get $count) (i32.const 4)))
        (br_if $vectors (i32.gt_s (local.get $count) (i32.const 0))))
      (local.set $d (i32.add (local.get $d) (local.get $bytes)))
      (local.set $y (i32.add (local.get $y) (local.get $bytes)))
      (local.set $sums (i32.add (local.get $sums) (i32.const 4)))
      (br $rowLoop))))
)
