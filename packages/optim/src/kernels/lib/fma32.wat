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
