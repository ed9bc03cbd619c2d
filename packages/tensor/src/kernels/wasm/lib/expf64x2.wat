;; e^y in f64x2 lanes, for tanh, sigmoid and softmax (included: `;; #include lib/expf64x2.wat`).
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
