  ;; ---------------------------------------------------------------- fma32 (included)
  ;; torch's float32 fused multiply-add a*b + c, rounded once, as optim's fma.ts computes it.
  ;; For float32 a, b the product is exact in double, so the double sum has two roundings (to
  ;; double, then float32), which differ from one rounding only when the double sum lands on a
  ;; float32 midpoint; there the sum's exact error (TwoSum) says which way to round.

  ;; The exact scalar form, operation for operation fma.ts's fma32.
  (func $fma32 (param $a f32) (param $b f32) (param $c f32) (result f32)
    (local $p f64) (local $s f64) (local $r f32) (local $half f64) (local $other f64) (local $z f64) (local $err f64)
    (local.set $p (f64.mul (f64.promote_f32 (local.get $a)) (f64.promote_f32 (local.get $b))))
    (local.set $s (f64.add (local.get $p) (f64.promote_f32 (local.get $c))))
    (local.set $r (f32.demote_f64 (local.get $s)))
    (local.set $half (f64.sub (local.get $s) (f64.promote_f32 (local.get $r))))
    (local.set $other (f64.add (f64.promote_f32 (local.get $r)) (f64.mul (f64.const 2) (local.get $half))))
    (if (f64.eq (local.get $half) (f64.const 0)) (then (return (local.get $r))))
    (if (f64.ne (f64.promote_f32 (f32.demote_f64 (local.get $other))) (local.get $other)) (then (return (local.get $r))))
    (local.set $z (f64.sub (local.get $s) (local.get $p)))
    (local.set $err (f64.add (f64.sub (local.get $p) (f64.sub (local.get $s) (local.get $z))) (f64.sub (f64.promote_f32 (local.get $c)) (local.get $z))))
    (if (f64.eq (local.get $err) (f64.const 0)) (then (return (local.get $r))))
    (if (i32.eq (f64.gt (local.get $err) (f64.const 0)) (f64.gt (local.get $half) (f64.const 0)))
      (then (return (f32.demote_f64 (local.get $other)))))
    (local.get $r))

  ;; Non-zero when some $fma4 since the last reset had a lane it could not round by itself.
  (global $redo (mut v128) (v128.const i64x2 0 0))

  ;; Four lanes of a*b + c in double, each rounded to float32: fma32's result, except where
  ;; the double sum may be a float32 midpoint (low 29 bits of the double 0x10000000) or the
  ;; result is in float32's subnormal range (|r| <= 2^-126, where midpoints look otherwise;
  ;; unless a*b is 0, when the sum is c, or 0, exactly). Such lanes are or-ed into $redo (as
  ;; masks, not in place: only whether any is set counts), and the caller redoes the vector
  ;; with $fma32.
  (func $fma4 (param $a v128) (param $b v128) (param $c v128) (result v128)
    (local $lo v128) (local $hi v128) (local $r v128)
    (local.set $lo (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $b)))
      (f64x2.promote_low_f32x4 (local.get $c))))
    (local.set $hi (f64x2.add
      (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
                 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $c) (local.get $c)))))
    (local.set $r (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
    (global.set $redo (v128.or (global.get $redo) (v128.or
      (v128.or
        (i64x2.eq (v128.and (local.get $lo) (v128.const i64x2 0x1FFFFFFF 0x1FFFFFFF)) (v128.const i64x2 0x10000000 0x10000000))
        (i64x2.eq (v128.and (local.get $hi) (v128.const i64x2 0x1FFFFFFF 0x1FFFFFFF)) (v128.const i64x2 0x10000000 0x10000000)))
      (v128.and
        (f32x4.le (f32x4.abs (local.get $r)) (v128.const f32x4 0x1p-126 0x1p-126 0x1p-126 0x1p-126))
        (v128.and (f32x4.ne (local.get $a) (v128.const f32x4 0 0 0 0)) (f32x4.ne (local.get $b) (v128.const f32x4 0 0 0 0)))))))
    (local.get $r))
