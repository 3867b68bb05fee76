# Regenerates limma_*_r.tsv, fitfdist_r.tsv, maxstat_*_r.tsv: R limma eBayes / fitFDist and
# maxstat / survival survdiff on the deterministic inputs beside this script
# (written by make_limma_maxstat_inputs.py). R 4.2.2, Debian r-bioc-limma, r-cran-maxstat,
# r-cran-survival. Run from this folder:  Rscript generate_limma_maxstat_r.R
# The test suite reads the .tsv outputs and never needs R.
suppressPackageStartupMessages({
  library(limma)
  library(maxstat)
  library(survival)
})
num <- function(d) {  # full double precision in the text output (write.table keeps 15 digits)
  for (k in names(d)) if (is.double(d[[k]])) d[[k]] <- sprintf("%.17g", d[[k]])
  d
}
put <- function(d, file) write.table(num(d), file, sep = "\t", quote = FALSE, row.names = FALSE)

# --- limma: two-group moderated t, eBayes defaults (trend = FALSE, robust = FALSE) ---------
ebayes_case <- function(name) {
  x <- as.matrix(read.csv(paste0("limma_", name, "_expr.csv"), row.names = 1))
  grp <- factor(ifelse(startsWith(colnames(x), "T"), "T", "C"), levels = c("C", "T"))
  design <- model.matrix(~grp)  # coefficient 2 = mean(T) - mean(C)
  fit <- eBayes(lmFit(x, design))
  put(data.frame(gene = rownames(x), logFC = fit$coefficients[, 2], t = fit$t[, 2],
                 p_value = fit$p.value[, 2], df_total = fit$df.total, s2_post = fit$s2.post),
      paste0("limma_", name, "_genes_r.tsv"))
  data.frame(case = name, df_residual = fit$df.residual[1], df_prior = fit$df.prior,
             s2_prior = fit$s2.prior, df_pooled = sum(fit$df.residual))
}
put(do.call(rbind, lapply(c("prior", "zero", "flat"), ebayes_case)), "limma_hyper_r.tsv")

# --- limma::fitFDist on a fixed vector of sample variances (d = 4) ----------------------
s2 <- read.csv("fitfdist_s2.csv")$s2
f <- fitFDist(s2, df1 = 4)
put(data.frame(df1 = 4, df2 = f$df2, scale = f$scale), "fitfdist_r.tsv")

# --- maxstat: maximally selected log-rank statistic, Lausen-Schumacher (1992) p ----------
d <- read.csv("maxstat_surv.csv")
ms <- maxstat.test(Surv(time, event) ~ marker, data = d, smethod = "LogRank",
                   pmethod = "Lau92", minprop = 0.1, maxprop = 0.9)
# Every candidate cut: maxstat's |standardised statistic| (permutation variance of the
# log-rank scores) and survdiff's two-group log-rank for high = marker > cut (hypergeometric
# variance), plus the two variances, so the test can show where the two statistics differ.
sc <- exactRankTests::cscores(Surv(d$time, d$event), type = "LogRank")
N <- nrow(d)
scan <- do.call(rbind, lapply(ms$cuts, function(cut) {
  high <- d$marker > cut
  sd <- survdiff(Surv(time, event) ~ high, data = d)
  m <- sum(!high)  # maxstat's m: size of the low group
  v_perm <- m * (N - m) / (N^2 * (N - 1)) * (N * sum(sc^2) - sum(sc)^2)
  data.frame(cut = cut, n_low = m, survdiff_o_minus_e_high = (sd$obs - sd$exp)[2],
             survdiff_var = sd$var[2, 2], survdiff_chisq = sd$chisq,
             maxstat_perm_var = v_perm)
}))
scan$maxstat_stat <- ms$stats
put(scan, "maxstat_scan_r.tsv")
best <- which.max(scan$survdiff_chisq)
med <- survdiff(Surv(time, event) ~ I(marker > median(marker)), data = d)
put(data.frame(
  maxstat_statistic = unname(ms$statistic), maxstat_cut = unname(ms$estimate),
  maxstat_p_lau92 = ms$p.value,
  survdiff_max_stat = sqrt(scan$survdiff_chisq[best]), survdiff_best_cut = scan$cut[best],
  lau92_at_survdiff_max = maxstat:::pLausen92(sqrt(scan$survdiff_chisq[best]), 0.1, 0.9),
  median_split_chisq = med$chisq, median_split_p = pchisq(med$chisq, 1, lower.tail = FALSE)
), "maxstat_summary_r.tsv")

writeLines(capture.output(sessionInfo()), "limma_maxstat_sessionInfo.txt")
