# Helpers shared by board drivers (boards/<chip>/). Nothing here imports
# asyncio; every module documents what allocates.
