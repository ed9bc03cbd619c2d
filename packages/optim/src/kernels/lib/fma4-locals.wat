    ;; lib/fma4.wat's operands, result, flags and temporaries (included with the function's locals)
    (local $fa v128) (local $fb v128) (local $fc v128) (local $fr v128) (local $bad v128)
    (local $plo v128) (local $phi v128) (local $clo v128) (local $chi v128) (local $lo v128) (local $hi v128)
    (local $mid v128) (local $tiny v128)
