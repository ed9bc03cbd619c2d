    ;; ---- lib/fma4.wat (included inline where used: a call per vector costs a third of the time)
    ;; $fr = four lanes of $fa*$fb + $fc in double, each rounded to float32: fma32's result,
    ;; except where the double sum is a float32 midpoint (low 29 bits of the double 0x10000000)
    ;; that a*b + c misses (TwoSum's error is not 0; an exact tie rounds right), or the result
    ;; is in float32's subnormal range (|r| <= 2^-126, where midpoints look otherwise; unless
    ;; a*b is 0, when the sum is c, or 0, exactly). Such lanes are or-ed into $bad, and the
    ;; caller redoes the vector with $fma32. The usual case pays for two cheap tests only.
    (local.set $plo (f64x2.mul (f64x2.promote_low_f32x4 (local.get $fa)) (f64x2.promote_low_f32x4 (local.get $fb))))
    (local.set $phi (f64x2.mul
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $fa) (local.get $fa)))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $fb) (local.get $fb)))))
    (local.set $clo (f64x2.promote_low_f32x4 (local.get $fc)))
    (local.set $chi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $fc) (local.get $fc))))
    (local.set $lo (f64x2.add (local.get $plo) (local.get $clo)))
    (local.set $hi (f64x2.add (local.get $phi) (local.get $chi)))
    (local.set $fr (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
    ;; lane i: the low 32 bits of sum i (lo's two, then hi's two)
    (local.set $mid (i32x4.eq
      (v128.and (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $lo) (local.get $hi))
                (v128.const i32x4 0x1FFFFFFF 0x1FFFFFFF 0x1FFFFFFF 0x1FFFFFFF))
      (v128.const i32x4 0x10000000 0x10000000 0x10000000 0x10000000)))
    (local.set $tiny (f32x4.le (f32x4.abs (local.get $fr)) (v128.const f32x4 0x1p-126 0x1p-126 0x1p-126 0x1p-126)))
    (if (v128.any_true (v128.or (local.get $mid) (local.get $tiny)))
      (then
        (local.set $bad (v128.or (local.get $bad) (v128.or
          ;; TwoSum's error of each sum, (p - (s - z)) + (c - z) with z = s - p, not 0 (as $fma32;
          ;; inline, not a call: a call here would make V8 spill the loop's vectors every time)
          (v128.and (local.get $mid) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (f64x2.ne (v128.const f64x2 0 0) (f64x2.add
              (f64x2.sub (local.get $plo) (f64x2.sub (local.get $lo) (f64x2.sub (local.get $lo) (local.get $plo))))
              (f64x2.sub (local.get $clo) (f64x2.sub (local.get $lo) (local.get $plo)))))
            (f64x2.ne (v128.const f64x2 0 0) (f64x2.add
              (f64x2.sub (local.get $phi) (f64x2.sub (local.get $hi) (f64x2.sub (local.get $hi) (local.get $phi))))
              (f64x2.sub (local.get $chi) (f64x2.sub (local.get $hi) (local.get $phi)))))))
          (v128.and (local.get $tiny)
            (v128.and (f32x4.ne (local.get $fa) (v128.const f32x4 0 0 0 0)) (f32x4.ne (local.get $fb) (v128.const f32x4 0 0 0 0)))))))))
    ;; ---- end of lib/fma4.wat
