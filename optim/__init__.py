"""Design for yield and key rate (issue 14): the relaxed network objective and its gradients
(:mod:`.objective`), the design optimiser (:mod:`.run`) and process sensitivity analysis
(:mod:`.sensitivity`)."""
