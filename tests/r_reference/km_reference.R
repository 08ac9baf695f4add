# Kaplan-Meier reference values for tests/test_survival_r_reference.py.
# Run from this folder: Rscript km_reference.R   (R >= 4.2 with survival and boot)
# Inputs written here too: channing.csv (boot::channing), lung.csv (survival::lung).
suppressPackageStartupMessages({library(survival); library(boot)})
data(channing, package = "boot")
write.csv(channing, "channing.csv", row.names = FALSE)
lung <- survival::lung
write.csv(lung, "lung.csv", row.names = FALSE)

one <- function(fit, dataset, conf) {
  s <- summary(fit, censored = FALSE)
  grp <- if (is.null(s$strata)) rep("all", length(s$time)) else sub(".*=", "", as.character(s$strata))
  data.frame(dataset = dataset, conf_type = conf, group = grp, time = s$time,
             n_risk = s$n.risk, n_event = s$n.event, surv = s$surv,
             std_err = s$std.err, lower = s$lower, upper = s$upper)
}
out <- list()
for (conf in c("log", "log-log", "plain")) {
  # Channing House: entry and exit age in months; zero-length intervals dropped as R does
  ch <- subset(channing, exit > entry)
  out[[length(out) + 1]] <- one(survfit(Surv(entry, exit, cens) ~ sex, data = ch,
                                        conf.type = conf), "channing", conf)
  # men from 68 years (816 months): no early collapse, so the CI columns are all defined
  out[[length(out) + 1]] <- one(survfit(Surv(pmax(entry, 816), exit, cens) ~ 1,
                                        data = subset(ch, sex == "Male" & exit > 816)),
                                "channing_men_816", conf)
  out[[length(out) + 1]] <- one(survfit(Surv(time, status == 2) ~ sex, data = lung,
                                        conf.type = conf), "lung", conf)
}
res <- do.call(rbind, out)
write.csv(res, "km_survfit.csv", row.names = FALSE)
