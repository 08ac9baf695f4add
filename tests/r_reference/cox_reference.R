# Cox reference values for tests/test_survival_r_reference.py.
# Run from this folder: Rscript cox_reference.R   (R >= 4.2 with survival)
# Inputs written here too: lung_cc.csv (survival::lung, complete cases of the columns used),
# heart.csv (survival::heart, Stanford heart transplant data in start/stop form).
suppressPackageStartupMessages(library(survival))
lung <- survival::lung
lung <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog", "inst")]), ]
lung$event <- as.integer(lung$status == 2)
lung$id <- seq_len(nrow(lung))
write.csv(lung[, c("id", "inst", "time", "event", "age", "sex", "ph.ecog")], "lung_cc.csv",
          row.names = FALSE)
heart <- survival::heart
write.csv(heart, "heart.csv", row.names = FALSE)

tidy <- function(fit, model, ties) {
  s <- summary(fit)$coefficients
  rob <- if ("robust se" %in% colnames(s)) s[, "robust se"] else NA
  lr <- 2 * diff(fit$loglik)
  data.frame(model = model, ties = ties, term = rownames(s), coef = s[, "coef"],
             se = s[, "se(coef)"], robust_se = rob, p = s[, ncol(s)],
             loglik_null = fit$loglik[1], loglik = fit$loglik[2], lr_stat = lr,
             lr_df = length(fit$coefficients),
             lr_p = pchisq(lr, length(fit$coefficients), lower.tail = FALSE))
}
out <- list()
for (ties in c("efron", "breslow")) {
  out[[length(out) + 1]] <- tidy(coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lung,
                                       ties = ties), "lung", ties)
  out[[length(out) + 1]] <- tidy(coxph(Surv(time, event) ~ age + ph.ecog + strata(sex),
                                       data = lung, ties = ties), "lung_strata_sex", ties)
  out[[length(out) + 1]] <- tidy(coxph(Surv(time, event) ~ age + sex + ph.ecog,
                                       cluster = inst, data = lung, ties = ties),
                                 "lung_cluster_inst", ties)
  out[[length(out) + 1]] <- tidy(coxph(Surv(start, stop, event) ~ age + year + surgery +
                                         transplant, data = heart, ties = ties),
                                 "heart_startstop", ties)
  out[[length(out) + 1]] <- tidy(coxph(Surv(start, stop, event) ~ age + year + surgery +
                                         transplant, cluster = id, data = heart, ties = ties),
                                 "heart_startstop_cluster_id", ties)
}
write.csv(do.call(rbind, out), "cox_coxph.csv", row.names = FALSE)
