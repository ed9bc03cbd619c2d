;; optim's fused update kernels in WebAssembly SIMD128, run by @minigrad/tensor's fusedKernel
;; (kernels/wasm/fused.ts there): each export takes the byte addresses of its arrays, the count n,
;; and the byte address of its scalars (consecutive float64s), and updates n elements in place.
;; Compiled by `pnpm build:wasm` with the memory below replaced by an imported shared one
;; (rmsprop-wasm.ts). Addresses are in BYTES.
(module
  (memory (export "memory") 1)

  ;; ---------------------------------------------------------------- RMSprop
  ;; One step of torch's RMSprop with the default options (no momentum, centering, weight
  ;; decay or maximize) over `n` float32 parameters, bit for bit as PyTorch's AVX2 kernels
  ;; (torch-semantics.md 1.9; the JS reference is optim's rowF32Plain):
  ;;   v = fma(W*g, g, v*A);  p = p + (NLR*g) / (sqrt(v) + EPS)        W = 1 - alpha, NLR = -lr
  ;; Every op is one float32 op, except the fused multiply-add: there a*b is exact in double and
  ;; a*b + c is rounded twice (to double, then float32), which is wrong only when the double sum
  ;; lands exactly on a float32 midpoint (low 29 bits of the double 0x10000000) or in float32's
  ;; subnormal range. Vectors with such a lane (a few in a million) go through $fma32, the exact
  ;; scalar form (lib/fma32.wat, as optim's fma.ts). Returns the number of vectors that did.

;; #include lib/fma32.wat

  ;; The update above, one float at a time (vectors with a flagged lane, and the 0-3 left).
  (func $rmspropFloats (param $p i32) (param $g i32) (param $v i32) (param $n i32) (param $A f32) (param $W f32) (param $EPS f32) (param $NLR f32)
    (local $gv f32) (local $vv f32) (local $d f32) (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $gv (f32.load (local.get $g)))
      (local.set $vv (call $fma32 (f32.mul (local.get $W) (local.get $gv)) (local.get $gv) (f32.mul (f32.load (local.get $v)) (local.get $A))))
      (f32.store (local.get $v) (local.get $vv))
      (local.set $d (f32.add (f32.sqrt (local.get $vv)) (local.get $EPS)))
      (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32.div (f32.mul (local.get $NLR) (local.get $gv)) (local.get $d))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (local.set $v (i32.add (local.get $v) (i32.const 4)))
      (br $l))))

  ;; p, g, v: addresses of n floats each; at $scalars the float64s A, W, EPS, NLR as above,
  ;; each already a float32 value (so demoting them is exact).
  (func (export "rmsprop") (param $p i32) (param $g i32) (param $v i32) (param $n i32) (param $scalars i32) (result i32)
    (local $A f32) (local $W f32) (local $EPS f32) (local $NLR f32)
    (local $end i32) (local $gv v128) (local $t1 v128) (local $t2 v128) (local $lo v128) (local $hi v128) (local $vv v128) (local $d v128)
    (local $flag v128) (local $fix i32)
    (local $A4 v128) (local $W4 v128) (local $E4 v128) (local $N4 v128)
    (local.set $A (f32.demote_f64 (f64.load (local.get $scalars))))
    (local.set $W (f32.demote_f64 (f64.load offset=8 (local.get $scalars))))
    (local.set $EPS (f32.demote_f64 (f64.load offset=16 (local.get $scalars))))
    (local.set $NLR (f32.demote_f64 (f64.load offset=24 (local.get $scalars))))
    (local.set $A4 (f32x4.splat (local.get $A)))
    (local.set $W4 (f32x4.splat (local.get $W)))
    (local.set $E4 (f32x4.splat (local.get $EPS)))
    (local.set $N4 (f32x4.splat (local.get $NLR)))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $gv (v128.load (local.get $g)))
      (local.set $t1 (f32x4.mul (local.get $W4) (local.get $gv)))
      (local.set $t2 (f32x4.mul (v128.load (local.get $v)) (local.get $A4)))
      (local.set $lo (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $t1)) (f64x2.promote_low_f32x4 (local.get $gv))) (f64x2.promote_low_f32x4 (local.get $t2))))
      (local.set $hi (f64x2.add
        (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t1) (local.get $t1)))
                   (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gv) (local.get $gv))))
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t2) (local.get $t2)))))
      (local.set $vv (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
      ;; lanes whose double sum may round wrongly twice: float32 midpoints (low 29 bits of the
      ;; double 0x10000000), or results in float32's subnormal range (v <= 2^-126, v >= 0 here;
      ;; unless W*g is 0, when the sum is v*A, a float32, exactly)
      (local.set $flag (v128.or
        (v128.or
          (i64x2.eq (v128.and (local.get $lo) (v128.const i64x2 0x1FFFFFFF 0x1FFFFFFF)) (v128.const i64x2 0x10000000 0x10000000))
          (i64x2.eq (v128.and (local.get $hi) (v128.const i64x2 0x1FFFFFFF 0x1FFFFFFF)) (v128.const i64x2 0x10000000 0x10000000)))
        (v128.and
          (f32x4.le (local.get $vv) (v128.const f32x4 0x1p-126 0x1p-126 0x1p-126 0x1p-126))
          (f32x4.ne (local.get $t1) (v128.const f32x4 0 0 0 0)))))
      (if (v128.any_true (local.get $flag))
        (then (call $rmspropFloats (local.get $p) (local.get $g) (local.get $v) (i32.const 4) (local.get $A) (local.get $W) (local.get $EPS) (local.get $NLR))
              (local.set $fix (i32.add (local.get $fix) (i32.const 1))))
        (else
          (v128.store (local.get $v) (local.get $vv))
          (local.set $d (f32x4.add (f32x4.sqrt (local.get $vv)) (local.get $E4)))
          (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (f32x4.div (f32x4.mul (local.get $N4) (local.get $gv)) (local.get $d))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (br $l)))
    (call $rmspropFloats (local.get $p) (local.get $g) (local.get $v) (i32.and (local.get $n) (i32.const 3)) (local.get $A) (local.get $W) (local.get $EPS) (local.get $NLR))
    (local.get $fix))
)
