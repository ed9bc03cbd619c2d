;; float32 softmax and log-softmax over rows, and log-softmax's backward, with WebAssembly SIMD128.
;;
;; Compiled by `pnpm build:wasm` (packages/tensor/scripts/build-wasm.ts) with the memory below
;; replaced by an imported shared one (softmax-wasm.ts): over the arena the kernels work on tensors'
;; storage in place (kernels/wasm/module.ts); elsewhere the same binary, its import made
;; non-shared, runs on a memory of its own that data is copied into. Addresses are in BYTES.
;; `;; #include` lines are replaced by the file they name (scripts/wat.ts).
(module
  ;; Grown by the JS side (memory.grow) to fit the data; never shrinks.
  (memory (export "memory") 1)

  ;; #include lib/partial.wat

  ;; #include lib/expf64x2.wat

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
