;; Adam's and AdamW's fused float32 update in WebAssembly SIMD128, run by @minigrad/tensor's
;; fusedKernel (kernels/wasm/fused.ts there): the export takes the byte addresses of its
;; arrays, the count n and the byte address of its scalars (consecutive float64s), and updates
;; n elements in place. Compiled by `pnpm build:wasm` with the memory below replaced by an
;; imported shared one (adam-wasm.ts). Addresses are in BYTES.
(module
  (memory (export "memory") 1)

;; #include lib/fma32.wat

  ;; ---------------------------------------------------------------- Adam / AdamW
  ;; One step of torch's Adam or AdamW without amsgrad over `n` float32 parameters, bit for
  ;; bit as PyTorch's AVX2 kernels (the JS reference is kernels/adam.ts's adamRowF32):
  ;;   g = -g (MAXIMIZE);  g = fma(p, WD, g) (L2, Adam's weight decay)
  ;;   p = p*DECAY (DECOUPLED, AdamW's weight decay)
  ;;   m = fma(g, W1, m*B1);  v = fma(W2*g, g, v*B2)
  ;;   p = p + (NSS*m) / (sqrt(v)/BC2 + EPS)
  ;; Every other op is one float32 op (IEEE-exact in f32x4). A vector with a lane $fma4 cannot
  ;; round (lib/fma4.wat) is redone one float at a time with $fma32 (a few in a million).

  ;; The update above, one float at a time (redone vectors, and the 0-3 left); scalars at $s.
  (func $adamFloats (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32) (param $s i32)
    (local $B1 f32) (local $W1 f32) (local $B2 f32) (local $W2 f32) (local $BC2 f32) (local $EPS f32) (local $NSS f32)
    (local $WD f32) (local $DECAY f32) (local $max i32) (local $l2 i32) (local $dec i32)
    (local $pv f32) (local $gv f32) (local $mv f32) (local $vv f32) (local $end i32)
    (local.set $B1 (f32.demote_f64 (f64.load (local.get $s))))
    (local.set $W1 (f32.demote_f64 (f64.load offset=8 (local.get $s))))
    (local.set $B2 (f32.demote_f64 (f64.load offset=16 (local.get $s))))
    (local.set $W2 (f32.demote_f64 (f64.load offset=24 (local.get $s))))
    (local.set $BC2 (f32.demote_f64 (f64.load offset=32 (local.get $s))))
    (local.set $EPS (f32.demote_f64 (f64.load offset=40 (local.get $s))))
    (local.set $NSS (f32.demote_f64 (f64.load offset=48 (local.get $s))))
    (local.set $WD (f32.demote_f64 (f64.load offset=56 (local.get $s))))
    (local.set $DECAY (f32.demote_f64 (f64.load offset=64 (local.get $s))))
    (local.set $max (f64.ne (f64.load offset=72 (local.get $s)) (f64.const 0)))
    (local.set $l2 (f64.ne (f64.load offset=80 (local.get $s)) (f64.const 0)))
    (local.set $dec (f64.ne (f64.load offset=88 (local.get $s)) (f64.const 0)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $pv (f32.load (local.get $p)))
      (local.set $gv (f32.load (local.get $g)))
      (if (local.get $max) (then (local.set $gv (f32.neg (local.get $gv)))))
      (if (local.get $l2) (then (local.set $gv (call $fma32 (local.get $pv) (local.get $WD) (local.get $gv)))))
      (if (local.get $dec) (then (local.set $pv (f32.mul (local.get $pv) (local.get $DECAY)))))
      (local.set $mv (call $fma32 (local.get $gv) (local.get $W1) (f32.mul (f32.load (local.get $m)) (local.get $B1))))
      (f32.store (local.get $m) (local.get $mv))
      (local.set $vv (call $fma32 (f32.mul (local.get $W2) (local.get $gv)) (local.get $gv) (f32.mul (f32.load (local.get $v)) (local.get $B2))))
      (f32.store (local.get $v) (local.get $vv))
      (f32.store (local.get $p) (f32.add (local.get $pv) (f32.div (f32.mul (local.get $NSS) (local.get $mv))
        (f32.add (f32.div (f32.sqrt (local.get $vv)) (local.get $BC2)) (local.get $EPS)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (local.set $m (i32.add (local.get $m) (i32.const 4)))
      (local.set $v (i32.add (local.get $v) (i32.const 4)))
      (br $l))))

  ;; p, g, m, v: addresses of n floats each (param, grad, expAvg, expAvgSq); at $s the float64s
  ;; B1, W1, B2, W2, BC2, EPS, NSS, WD, DECAY (each already a float32 value, so demoting them is
  ;; exact), then MAXIMIZE, L2, DECOUPLED (1 or 0). Returns the number of vectors redone.
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32) (param $s i32) (result i32)
    (local $B1 v128) (local $W1 v128) (local $B2 v128) (local $W2 v128) (local $BC2 v128) (local $EPS v128) (local $NSS v128)
    (local $WD v128) (local $DECAY v128) (local $max i32) (local $l2 i32) (local $dec i32)
    (local $pv v128) (local $gv v128) (local $mv v128) (local $vv v128) (local $end i32) (local $fix i32)
;; #include lib/fma4-locals.wat
    (local.set $B1 (f32x4.splat (f32.demote_f64 (f64.load (local.get $s)))))
    (local.set $W1 (f32x4.splat (f32.demote_f64 (f64.load offset=8 (local.get $s)))))
    (local.set $B2 (f32x4.splat (f32.demote_f64 (f64.load offset=16 (local.get $s)))))
    (local.set $W2 (f32x4.splat (f32.demote_f64 (f64.load offset=24 (local.get $s)))))
    (local.set $BC2 (f32x4.splat (f32.demote_f64 (f64.load offset=32 (local.get $s)))))
    (local.set $EPS (f32x4.splat (f32.demote_f64 (f64.load offset=40 (local.get $s)))))
    (local.set $NSS (f32x4.splat (f32.demote_f64 (f64.load offset=48 (local.get $s)))))
    (local.set $WD (f32x4.splat (f32.demote_f64 (f64.load offset=56 (local.get $s)))))
    (local.set $DECAY (f32x4.splat (f32.demote_f64 (f64.load offset=64 (local.get $s)))))
    (local.set $max (f64.ne (f64.load offset=72 (local.get $s)) (f64.const 0)))
    (local.set $l2 (f64.ne (f64.load offset=80 (local.get $s)) (f64.const 0)))
    (local.set $dec (f64.ne (f64.load offset=88 (local.get $s)) (f64.const 0)))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $pv (v128.load (local.get $p)))
      (local.set $gv (v128.load (local.get $g)))
      (if (local.get $max) (then (local.set $gv (f32x4.neg (local.get $gv)))))
      (if (local.get $l2) (then
        ;; g = fma(p, WD, g)
        (local.set $fa (local.get $pv)) (local.set $fb (local.get $WD)) (local.set $fc (local.get $gv))
;; #include lib/fma4.wat
        (local.set $gv (local.get $fr))))
      (if (local.get $dec) (then (local.set $pv (f32x4.mul (local.get $pv) (local.get $DECAY)))))
      ;; v = fma(W2*g, g, v*B2), first: its sqrt and divisions are the longest chain
      (local.set $fa (f32x4.mul (local.get $W2) (local.get $gv))) (local.set $fb (local.get $gv))
      (local.set $fc (f32x4.mul (v128.load (local.get $v)) (local.get $B2)))
;; #include lib/fma4.wat
      (local.set $vv (local.get $fr))
      ;; m = fma(g, W1, m*B1)
      (local.set $fa (local.get $gv)) (local.set $fb (local.get $W1)) (local.set $fc (f32x4.mul (v128.load (local.get $m)) (local.get $B1)))
;; #include lib/fma4.wat
      (local.set $mv (local.get $fr))
      (if (v128.any_true (local.get $bad))
        (then (call $adamFloats (local.get $p) (local.get $g) (local.get $m) (local.get $v) (i32.const 4) (local.get $s))
              (local.set $bad (v128.const i64x2 0 0))
              (local.set $fix (i32.add (local.get $fix) (i32.const 1))))
        (else
          (v128.store (local.get $m) (local.get $mv))
          (v128.store (local.get $v) (local.get $vv))
          (v128.store (local.get $p) (f32x4.add (local.get $pv) (f32x4.div (f32x4.mul (local.get $NSS) (local.get $mv))
            (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (local.get $BC2)) (local.get $EPS)))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $m (i32.add (local.get $m) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (br $l)))
    (call $adamFloats (local.get $p) (local.get $g) (local.get $m) (local.get $v) (i32.and (local.get $n) (i32.const 3)) (local.get $s))
    (local.get $fix))
)
