;; Float64 Cholesky factorisation and triangular substitution for the host path of solveSpd (src/ops/spd_solve.ts).
;; Chromium runs the same loops written in JavaScript on Float64Arrays ~2.5x slower than Node does (typed-array
;; accesses pay for V8's sandbox there); WebAssembly's linear memory does not, and f64x2 lanes take two products
;; per instruction. Every matrix is row-major float64 at a byte offset into this module's memory, which the caller
;; grows and fills. Regenerate spd_host_wasm.bytes.ts after editing: `node scripts/build-wasm.mjs`.
(module
  (memory (export "memory") 1)

  ;; L[i][j] by one plain dot product of the rows' prefixes (the 2 x 2 blocks on the diagonal, an odd n's last
  ;; row). Returns 1 when the pivot of a diagonal entry is not positive and finite, else 0.
  (func $entry (param $a i32) (param $l i32) (param $n i32) (param $shift f64) (param $i i32) (param $j i32) (result i32)
    (local $ri i32) (local $rj i32) (local $p i32) (local $end i32) (local $s f64) (local $d f64)
    (local.set $ri (i32.add (local.get $l) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
    (local.set $rj (i32.add (local.get $l) (i32.shl (i32.mul (local.get $j) (local.get $n)) (i32.const 3))))
    (local.set $end (i32.shl (local.get $j) (i32.const 3)))
    (block $done
      (loop $dot
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f64.add (local.get $s)
          (f64.mul (f64.load (i32.add (local.get $ri) (local.get $p))) (f64.load (i32.add (local.get $rj) (local.get $p))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $dot)))
    (local.set $d (f64.load (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))))
    (if (i32.eq (local.get $i) (local.get $j))
      (then
        (local.set $d (f64.sub (f64.add (local.get $d) (local.get $shift)) (local.get $s)))
        ;; Not (d > 0) also catches NaN; d < inf rules out an infinite pivot.
        (if (i32.eqz (i32.and (f64.gt (local.get $d) (f64.const 0)) (f64.lt (local.get $d) (f64.const inf))))
          (then (return (i32.const 1))))
        (f64.store (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3))) (f64.sqrt (local.get $d))))
      (else
        (f64.store (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))
          (f64.div (f64.sub (local.get $d) (local.get $s))
            (f64.load (i32.add (local.get $rj) (i32.shl (local.get $j) (i32.const 3))))))))
    (i32.const 0))

  ;; L (at $l, n x n, zeroed here) with L L^T = A + shift I (A at $a). Rows are taken two at a time against two
  ;; rows of columns at a time: each f64x2 load serves two products and j is even there, so the dot products have
  ;; no remainder. Returns -1, or the row whose pivot failed (the matrix is not positive definite).
  (func (export "cholesky") (param $a i32) (param $l i32) (param $n i32) (param $shift f64) (result i32)
    (local $row i32) (local $i i32) (local $j i32) (local $p i32) (local $end i32) (local $jb i32)
    (local $r0 i32) (local $r1 i32) (local $c0 i32) (local $c1 i32) (local $a0 i32) (local $a1 i32)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128)
    (local $v00 f64) (local $v10 f64) (local $y1j f64)
    (local.set $row (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $l) (i32.const 0) (i32.mul (local.get $n) (local.get $row)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $n)))
        (local.set $r0 (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $row))))
        (local.set $r1 (i32.add (local.get $r0) (local.get $row)))
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $row))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $row)))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_s (i32.add (local.get $j) (i32.const 1)) (local.get $i)))
            (local.set $c0 (i32.add (local.get $l) (i32.mul (local.get $j) (local.get $row))))
            (local.set $c1 (i32.add (local.get $c0) (local.get $row)))
            (local.set $s00 (f64x2.splat (f64.const 0)))
            (local.set $s01 (f64x2.splat (f64.const 0)))
            (local.set $s10 (f64x2.splat (f64.const 0)))
            (local.set $s11 (f64x2.splat (f64.const 0)))
            (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
            (local.set $p (i32.const 0))
            (block $dotDone
              (loop $dot
                (br_if $dotDone (i32.ge_u (local.get $p) (local.get $jb)))
                (local.set $x0 (v128.load (i32.add (local.get $r0) (local.get $p))))
                (local.set $x1 (v128.load (i32.add (local.get $r1) (local.get $p))))
                (local.set $y0 (v128.load (i32.add (local.get $c0) (local.get $p))))
                (local.set $y1 (v128.load (i32.add (local.get $c1) (local.get $p))))
                (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $x0) (local.get $y0))))
                (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $x0) (local.get $y1))))
                (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $x1) (local.get $y0))))
                (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $x1) (local.get $y1))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (br $dot)))
            ;; Column j first; column j + 1's sums then take its last term, L[.][j] L[j+1][j].
            (local.set $v00 (f64.div
              (f64.sub (f64.load (i32.add (local.get $a0) (local.get $jb)))
                (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00))))
              (f64.load (i32.add (local.get $c0) (local.get $jb)))))
            (local.set $v10 (f64.div
              (f64.sub (f64.load (i32.add (local.get $a1) (local.get $jb)))
                (f64.add (f64x2.extract_lane 0 (local.get $s10)) (f64x2.extract_lane 1 (local.get $s10))))
              (f64.load (i32.add (local.get $c0) (local.get $jb)))))
            (f64.store (i32.add (local.get $r0) (local.get $jb)) (local.get $v00))
            (f64.store (i32.add (local.get $r1) (local.get $jb)) (local.get $v10))
            (local.set $y1j (f64.load (i32.add (local.get $c1) (local.get $jb))))
            (local.set $jb (i32.add (local.get $jb) (i32.const 8)))
            (f64.store (i32.add (local.get $r0) (local.get $jb))
              (f64.div
                (f64.sub (f64.load (i32.add (local.get $a0) (local.get $jb)))
                  (f64.add (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01)))
                    (f64.mul (local.get $v00) (local.get $y1j))))
                (f64.load (i32.add (local.get $c1) (local.get $jb)))))
            (f64.store (i32.add (local.get $r1) (local.get $jb))
              (f64.div
                (f64.sub (f64.load (i32.add (local.get $a1) (local.get $jb)))
                  (f64.add (f64.add (f64x2.extract_lane 0 (local.get $s11)) (f64x2.extract_lane 1 (local.get $s11)))
                    (f64.mul (local.get $v10) (local.get $y1j))))
                (f64.load (i32.add (local.get $c1) (local.get $jb)))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $cols)))
        ;; The 2 x 2 block on the diagonal.
        (if (call $entry (local.get $a) (local.get $l) (local.get $n) (local.get $shift) (local.get $i) (local.get $i))
          (then (return (local.get $i))))
        (drop (call $entry (local.get $a) (local.get $l) (local.get $n) (local.get $shift) (i32.add (local.get $i) (i32.const 1)) (local.get $i)))
        (if (call $entry (local.get $a) (local.get $l) (local.get $n) (local.get $shift) (i32.add (local.get $i) (i32.const 1)) (i32.add (local.get $i) (i32.const 1)))
          (then (return (i32.add (local.get $i) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows)))
    ;; An odd n leaves one row.
    (if (i32.lt_s (local.get $i) (local.get $n))
      (then
        (local.set $j (i32.const 0))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.gt_s (local.get $j) (local.get $i)))
            (if (call $entry (local.get $a) (local.get $l) (local.get $n) (local.get $shift) (local.get $i) (local.get $j))
              (then (return (local.get $i))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))))
    (i32.const -1))

  ;; U = L^T (both n x n at $l and $u; only the triangles are read and written).
  (func (export "transposeLower") (param $l i32) (param $u i32) (param $n i32)
    (local $i i32) (local $j i32)
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.gt_s (local.get $j) (local.get $i)))
            (f64.store (i32.add (local.get $u) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $n)) (local.get $i)) (i32.const 3)))
              (f64.load (i32.add (local.get $l) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; One triangular pass in place over k right-hand sides stored transposed at $z (k x n): forward (L z = b,
  ;; $t = L, rows top-down against the solved prefix) or back (L^T x = z, $t = L^T, bottom-up against the solved
  ;; suffix). Two right-hand sides at a time share each load of $t's row; an odd k pairs the last with itself.
  (func (export "substitute") (param $t i32) (param $z i32) (param $n i32) (param $k i32) (param $forward i32)
    (local $row i32) (local $c i32) (local $z0 i32) (local $z1 i32) (local $step i32) (local $i i32)
    (local $ri i32) (local $p i32) (local $end i32) (local $ib i32)
    (local $s0 v128) (local $s1 v128) (local $v v128) (local $t0 f64) (local $t1 f64) (local $w f64) (local $inv f64)
    (local.set $row (i32.shl (local.get $n) (i32.const 3)))
    (block $colsDone
      (loop $cols
        (br_if $colsDone (i32.ge_s (local.get $c) (local.get $k)))
        (local.set $z0 (i32.add (local.get $z) (i32.mul (local.get $c) (local.get $row))))
        (local.set $z1 (select (i32.add (local.get $z0) (local.get $row)) (local.get $z0)
          (i32.lt_s (i32.add (local.get $c) (i32.const 1)) (local.get $k))))
        (local.set $step (i32.const 0))
        (block $stepsDone
          (loop $steps
            (br_if $stepsDone (i32.ge_s (local.get $step) (local.get $n)))
            (local.set $i (select (local.get $step) (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $step)) (local.get $forward)))
            (local.set $ib (i32.shl (local.get $i) (i32.const 3)))
            (local.set $ri (i32.add (local.get $t) (i32.mul (local.get $i) (local.get $row))))
            ;; Byte offsets within a row: [0, i) forward, [i + 1, n) back.
            (local.set $p (select (i32.const 0) (i32.add (local.get $ib) (i32.const 8)) (local.get $forward)))
            (local.set $end (select (local.get $ib) (local.get $row) (local.get $forward)))
            (local.set $s0 (f64x2.splat (f64.const 0)))
            (local.set $s1 (f64x2.splat (f64.const 0)))
            (block $dotDone
              (loop $dot
                (br_if $dotDone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
                (local.set $v (v128.load (i32.add (local.get $ri) (local.get $p))))
                (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $v) (v128.load (i32.add (local.get $z0) (local.get $p))))))
                (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $v) (v128.load (i32.add (local.get $z1) (local.get $p))))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (br $dot)))
            (local.set $t0 (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
            (local.set $t1 (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))
            ;; An odd length leaves one product.
            (if (i32.lt_u (local.get $p) (local.get $end))
              (then
                (local.set $w (f64.load (i32.add (local.get $ri) (local.get $p))))
                (local.set $t0 (f64.add (local.get $t0) (f64.mul (local.get $w) (f64.load (i32.add (local.get $z0) (local.get $p))))))
                (local.set $t1 (f64.add (local.get $t1) (f64.mul (local.get $w) (f64.load (i32.add (local.get $z1) (local.get $p))))))))
            (local.set $inv (f64.div (f64.const 1) (f64.load (i32.add (local.get $ri) (local.get $ib)))))
            (local.set $t0 (f64.mul (f64.sub (f64.load (i32.add (local.get $z0) (local.get $ib))) (local.get $t0)) (local.get $inv)))
            (local.set $t1 (f64.mul (f64.sub (f64.load (i32.add (local.get $z1) (local.get $ib))) (local.get $t1)) (local.get $inv)))
            (f64.store (i32.add (local.get $z0) (local.get $ib)) (local.get $t0))
            (f64.store (i32.add (local.get $z1) (local.get $ib)) (local.get $t1))
            (local.set $step (i32.add (local.get $step) (i32.const 1)))
            (br $steps)))
        (local.set $c (i32.add (local.get $c) (i32.const 2)))
        (br $cols))))
)
