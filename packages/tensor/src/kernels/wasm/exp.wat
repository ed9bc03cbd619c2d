;; float32 exp, tanh and sigmoid with WebAssembly SIMD128, as elementwise kernels: each takes
;; (src, dst, count), kernels/wasm/fused.ts's calling convention (which also passes a scalar-block
;; address, ignored here), and writes exactly `count` floats: vectors of 4, then the 0-3 left.
;;
;; Compiled by `pnpm build:wasm` (packages/tensor/scripts/build-wasm.ts) with the memory below
;; replaced by an imported shared one (exp-wasm.ts): over the arena the kernels work on tensors'
;; storage in place (kernels/wasm/module.ts); elsewhere the same binary, its import made
;; non-shared, runs on a memory of its own that data is copied into. Addresses are in BYTES.
;; `;; #include` lines are replaced by the file they name (scripts/wat.ts).
(module
  ;; Grown by the JS side (memory.grow) to fit the data; never shrinks.
  (memory (export "memory") 1)

  ;; #include lib/partial.wat

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

  ;; #include lib/expf64x2.wat

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
)
