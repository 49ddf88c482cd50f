plugin = 1
