package io.jdpo.export;

/**
 * The upper Cholesky factor U of (H + λI)⁻¹ (so that (H + λI)⁻¹ = UᵀU), for a symmetric
 * positive semi-definite H such as an input's second-moment matrix; λ = damp · mean(diag H)
 * keeps it invertible when some column was never excited. Row j of U, scaled by 1/U_jj, is
 * how the remaining columns absorb column j's rounding error in GPTQ-style compensation.
 */
final class InverseCholesky {
    private InverseCholesky() {
    }

    static double[] upperOfInverse(double[] h, int n, double damp) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += h[i * n + i];
        mean = Math.max(mean / n, 1e-12);
        double[] a = h.clone();
        for (int i = 0; i < n; i++) a[i * n + i] += damp * mean;
        double[] l = cholesky(a, n);
        // (LLᵀ)⁻¹ = L⁻ᵀL⁻¹: invert L (lower triangular), then form the product.
        double[] li = new double[n * n];
        for (int c = 0; c < n; c++) {
            li[c * n + c] = 1 / l[c * n + c];
            for (int r = c + 1; r < n; r++) {
                double s = 0;
                for (int k = c; k < r; k++) s += l[r * n + k] * li[k * n + c];
                li[r * n + c] = -s / l[r * n + r];
            }
        }
        double[] inv = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
                inv[i * n + j] = s;
                inv[j * n + i] = s;
            }
        }
        double[] lower = cholesky(inv, n);
        double[] u = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) u[j * n + i] = lower[i * n + j];
        return u;
    }

    /** Lower L with A = LLᵀ; fails naming the column where A is not positive definite. */
    static double[] cholesky(double[] a, int n) {
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
            if (!(d > 0)) throw new ArithmeticException("matrix not positive definite at column " + j + " (pivot " + d + ")");
            double s = Math.sqrt(d);
            l[j * n + j] = s;
            for (int i = j + 1; i < n; i++) {
                double v = a[i * n + j];
                for (int k = 0; k < j; k++) v -= l[i * n + k] * l[j * n + k];
                l[i * n + j] = v / s;
            }
        }
        return l;
    }
}
