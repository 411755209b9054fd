# Each component module adds its import line here.
