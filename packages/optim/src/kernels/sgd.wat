;; SGD's fused float32 updates (without and with momentum) in WebAssembly SIMD128, run by
;; @minigrad/tensor's fusedKernel (kernels/wasm/fused.ts there): each export takes the byte
;; addresses of its arrays, the count n and the byte address of its scalars (consecutive
;; float64s), and updates n elements in place. Compiled by `pnpm build:wasm` with the memory
;; below replaced by an imported shared one (sgd-wasm.ts). Addresses are in BYTES.
(module
  (memory (export "memory") 1)

;; #include lib/fma32.wat

  ;; ---------------------------------------------------------------- SGD
  ;; One step of torch's SGD over `n` float32 parameters, bit for bit as PyTorch's AVX2
  ;; kernels (the JS reference is kernels/sgd.ts's sgdRowF32):
  ;;   g = -g (MAXIMIZE);  g = fma(p, WD, g) (L2)
  ;;   with momentum: b = g (FIRST) or b = fma(g, DAMP, b*MU);  g = fma(b, MU, g) (NESTEROV) or g = b
  ;;   p = fma(g, NLR, p)
  ;; A vector with a lane lib/fma4.wat cannot round is redone one float at a time with $fma32.
  ;; Both exports read the scalars at $s as the float64s NLR, WD, MU, DAMP (each already a
  ;; float32 value), then MAXIMIZE, L2, NESTEROV, FIRST (1 or 0); "sgd" ignores MU to FIRST.

  ;; The update, one float at a time (redone vectors, and the 0-3 left); $b only if $heavy.
  (func $sgdFloats (param $p i32) (param $g i32) (param $b i32) (param $n i32) (param $s i32) (param $heavy i32)
    (local $NLR f32) (local $WD f32) (local $MU f32) (local $DAMP f32)
    (local $max i32) (local $l2 i32) (local $nesterov i32) (local $first i32)
    (local $pv f32) (local $gv f32) (local $bv f32) (local $end i32)
    (local.set $NLR (f32.demote_f64 (f64.load (local.get $s))))
    (local.set $WD (f32.demote_f64 (f64.load offset=8 (local.get $s))))
    (local.set $MU (f32.demote_f64 (f64.load offset=16 (local.get $s))))
    (local.set $DAMP (f32.demote_f64 (f64.load offset=24 (local.get $s))))
    (local.set $max (f64.ne (f64.load offset=32 (local.get $s)) (f64.const 0)))
    (local.set $l2 (f64.ne (f64.load offset=40 (local.get $s)) (f64.const 0)))
    (local.set $nesterov (f64.ne (f64.load offset=48 (local.get $s)) (f64.const 0)))
    (local.set $first (f64.ne (f64.load offset=56 (local.get $s)) (f64.const 0)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $pv (f32.load (local.get $p)))
      (local.set $gv (f32.load (local.get $g)))
      (if (local.get $max) (then (local.set $gv (f32.neg (local.get $gv)))))
      (if (local.get $l2) (then (local.set $gv (call $fma32 (local.get $pv) (local.get $WD) (local.get $gv)))))
      (if (local.get $heavy) (then
        (if (local.get $first)
          (then (local.set $bv (local.get $gv)))
          (else (local.set $bv (call $fma32 (local.get $gv) (local.get $DAMP) (f32.mul (f32.load (local.get $b)) (local.get $MU))))))
        (f32.store (local.get $b) (local.get $bv))
        (if (local.get $nesterov)
          (then (local.set $gv (call $fma32 (local.get $bv) (local.get $MU) (local.get $gv))))
          (else (local.set $gv (local.get $bv))))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))))
      (f32.store (local.get $p) (call $fma32 (local.get $gv) (local.get $NLR) (local.get $pv)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (br $l))))

  ;; p, g: addresses of n floats each (param, grad). Returns the number of vectors redone.
  (func (export "sgd") (param $p i32) (param $g i32) (param $n i32) (param $s i32) (result i32)
    (local $NLR v128) (local $WD v128) (local $max i32) (local $l2 i32)
    (local $pv v128) (local $gv v128) (local $r v128) (local $end i32) (local $fix i32)
;; #include lib/fma4-locals.wat
    (local.set $NLR (f32x4.splat (f32.demote_f64 (f64.load (local.get $s)))))
    (local.set $WD (f32x4.splat (f32.demote_f64 (f64.load offset=8 (local.get $s)))))
    (local.set $max (f64.ne (f64.load offset=32 (local.get $s)) (f64.const 0)))
    (local.set $l2 (f64.ne (f64.load offset=40 (local.get $s)) (f64.const 0)))
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
      ;; p = fma(g, NLR, p)
      (local.set $fa (local.get $gv)) (local.set $fb (local.get $NLR)) (local.set $fc (local.get $pv))
;; #include lib/fma4.wat
      (local.set $r (local.get $fr))
      (if (v128.any_true (local.get $bad))
        (then (call $sgdFloats (local.get $p) (local.get $g) (local.get $p) (i32.const 4) (local.get $s) (i32.const 0))
              (local.set $bad (v128.const i64x2 0 0))
              (local.set $fix (i32.add (local.get $fix) (i32.const 1))))
        (else (v128.store (local.get $p) (local.get $r))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (br $l)))
    (call $sgdFloats (local.get $p) (local.get $g) (local.get $p) (i32.and (local.get $n) (i32.const 3)) (local.get $s) (i32.const 0))
    (local.get $fix))

  ;; p, g, b: addresses of n floats each (param, grad, momentumBuffer). Returns the number of
  ;; vectors redone.
  (func (export "sgdMomentum") (param $p i32) (param $g i32) (param $b i32) (param $n i32) (param $s i32) (result i32)
    (local $NLR v128) (local $WD v128) (local $MU v128) (local $DAMP v128)
    (local $max i32) (local $l2 i32) (local $nesterov i32) (local $first i32) (local $undamped i32)
    (local $pv v128) (local $gv v128) (local $bv v128) (local $r v128) (local $end i32) (local $fix i32)
;; #include lib/fma4-locals.wat
    (local.set $NLR (f32x4.splat (f32.demote_f64 (f64.load (local.get $s)))))
    (local.set $WD (f32x4.splat (f32.demote_f64 (f64.load offset=8 (local.get $s)))))
    (local.set $MU (f32x4.splat (f32.demote_f64 (f64.load offset=16 (local.get $s)))))
    (local.set $DAMP (f32x4.splat (f32.demote_f64 (f64.load offset=24 (local.get $s)))))
    (local.set $max (f64.ne (f64.load offset=32 (local.get $s)) (f64.const 0)))
    (local.set $l2 (f64.ne (f64.load offset=40 (local.get $s)) (f64.const 0)))
    (local.set $nesterov (f64.ne (f64.load offset=48 (local.get $s)) (f64.const 0)))
    (local.set $first (f64.ne (f64.load offset=56 (local.get $s)) (f64.const 0)))
    (local.set $undamped (f64.eq (f64.load offset=24 (local.get $s)) (f64.const 1)))
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
      (if (local.get $first)
        (then (local.set $bv (local.get $gv)))
        (else (if (local.get $undamped)
          ;; fma(g, 1, c) rounds g + c once: one float32 add (dampening 0, the usual case)
          (then (local.set $bv (f32x4.add (local.get $gv) (f32x4.mul (v128.load (local.get $b)) (local.get $MU)))))
          (else
            ;; b = fma(g, DAMP, b*MU)
            (local.set $fa (local.get $gv)) (local.set $fb (local.get $DAMP))
            (local.set $fc (f32x4.mul (v128.load (local.get $b)) (local.get $MU)))
;; #include lib/fma4.wat
            (local.set $bv (local.get $fr))))))
      (if (local.get $nesterov)
        (then
          ;; g = fma(b, MU, g)
          (local.set $fa (local.get $bv)) (local.set $fb (local.get $MU)) (local.set $fc (local.get $gv))
;; #include lib/fma4.wat
          (local.set $gv (local.get $fr)))
        (else (local.set $gv (local.get $bv))))
      ;; p = fma(g, NLR, p)
      (local.set $fa (local.get $gv)) (local.set $fb (local.get $NLR)) (local.set $fc (local.get $pv))
;; #include lib/fma4.wat
      (local.set $r (local.get $fr))
      (if (v128.any_true (local.get $bad))
        (then (call $sgdFloats (local.get $p) (local.get $g) (local.get $b) (i32.const 4) (local.get $s) (i32.const 1))
              (local.set $bad (v128.const i64x2 0 0))
              (local.set $fix (i32.add (local.get $fix) (i32.const 1))))
        (else
          (v128.store (local.get $b) (local.get $bv))
          (v128.store (local.get $p) (local.get $r))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $l)))
    (call $sgdFloats (local.get $p) (local.get $g) (local.get $b) (i32.and (local.get $n) (i32.const 3)) (local.get $s) (i32.const 1))
    (local.get $fix))
)
